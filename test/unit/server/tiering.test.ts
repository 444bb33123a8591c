import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { INTERRUPT_BUDGET } from '../../../lib/server/tiering.js';

/**
 * Runs a small function `calls` times in a fresh Node process (with or
 * without tuneTiering first) and says whether V8 optimized it (`--trace-opt`).
 */
function optimizedAfter(calls: number, tuned: boolean): boolean {
  const script = [
    "const { tuneTiering } = await import('./lib/server/tiering.ts');",
    tuned ? 'tuneTiering();' : '',
    'function work(a) { let s = 0; for (let i = 0; i < 8; i++) s += a[i % a.length] * i; return s; }',
    `for (let i = 0; i < ${calls}; i++) work([1, 2, 3]);`,
  ].join('\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--trace-opt', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return /optimiz\w+ .*\bwork\b/.test(out);
}

describe('server tiering (V8 interrupt budget)', function () {
  this.timeout(20_000);

  it('is well below V8 11.3\'s default budget of 67,584 bytes', () => {
    expect(INTERRUPT_BUDGET).to.be.above(0).and.below(67_584 / 8);
  });

  it('takes effect when set at run time: a function run 150 times is optimized only with it', () => {
    expect(optimizedAfter(150, false), 'V8 default').to.equal(false);
    expect(optimizedAfter(150, true), 'tuned').to.equal(true);
  });
});
