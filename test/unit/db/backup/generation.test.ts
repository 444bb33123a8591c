import { expect } from 'chai';
import { nextGeneration } from '../../../../lib/db/backup/generation.js';
import { isPortalOwnSetting } from '../../../../lib/db/secrets.js';

describe('db/backup: the restore generation', () => {
  it('is a fresh random token at each restore (two restores at once never write the same one)', () => {
    const tokens = Array.from({ length: 1_000 }, () => nextGeneration());
    expect(tokens.every((t) => /^[0-9a-f]{32}$/.test(t))).to.equal(true);
    expect(new Set(tokens).size).to.equal(tokens.length);
  });

  const own: [name: string, own: boolean][] = [
    ['restore_generation', true],
    ['Restore_Generation', true],
    ['cluster_key', true],
    ['CLUSTER_KEY', true],
    ['aes_key_verifier', true],
    ['theme', false],
    ['restore_generation ', false],
  ];
  for (const [name, expected] of own) {
    it(`${JSON.stringify(name)} is ${expected ? '' : 'not '}one of the portal's own settings (case aside, as MySQL compares names)`, () => {
      expect(isPortalOwnSetting(name)).to.equal(expected);
    });
  }
});
