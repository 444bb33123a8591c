// Lint gate run by `npm test`: typescript-eslint's strict, type-aware rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A terminal bastion filters control characters on purpose (names, reasons, terminal input).
      'no-control-regex': 'off',
      // Numbers and booleans print as expected in messages; objects still may not.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `return void x()` and `() => x()` are our explicit "nothing to return" idioms.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidOperator: true, ignoreVoidReturningFunctions: true }],
    },
  },
  {
    // A plain-JavaScript starter (lib/shell/restore-worker-tsx.mjs) is outside the TypeScript project: linted without types.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Suites assign their fixtures in before() hooks; the types cannot say a hook failed,
    // so after() hooks guard with `?.` and assertions index what they just checked.
    files: ['test/**/*.ts', 'test/**/*.cts'],
    rules: {
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // mocha loads reporters with require(); a .cts file imports it the CommonJS way TypeScript spells.
    files: ['test/**/*.cts'],
    rules: {
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  {
    // Released migrations are frozen history; all of them use typeorm's QueryRunner API as it is.
    files: ['migrations/**/*.ts'],
    rules: {
      '@typescript-eslint/no-deprecated': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
