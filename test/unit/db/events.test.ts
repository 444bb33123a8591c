import { expect } from 'chai';
import { MAX_ARGS_BYTES, MAX_ARG_CHARS, MAX_ENTITY_CHARS, argsJson, fitEntity, redactArgs } from '../../../lib/db/events.js';

describe('db/events: argument redaction', () => {
  const cases: { name: string; args: Record<string, unknown>; want: Record<string, unknown> }[] = [
    { name: 'a password', args: { password: 'hunter2', url: 'ssh://h' }, want: { password: '[redacted]', url: 'ssh://h' } },
    { name: 'an invite token', args: { invite_token: 'abc', remove_invite: false }, want: { invite_token: '[redacted]', remove_invite: false } },
    { name: 'any case, any position', args: { DbPassword: 'x', aesSecret: 'y', PrivKey: 'z', private_key: 'k', key_data: 'd' },
      want: { DbPassword: '[redacted]', aesSecret: '[redacted]', PrivKey: '[redacted]', private_key: '[redacted]', key_data: '[redacted]' } },
    { name: 'a passphrase (a pass… name)', args: { passphrase: 'p' }, want: { passphrase: '[redacted]' } },
    { name: 'non-string secrets too', args: { token: 42, secret: { a: 1 } }, want: { token: '[redacted]', secret: '[redacted]' } },
    { name: 'an empty or absent secret stays (nothing to hide, and it says "unset")', args: { password: '', token: undefined }, want: { password: '', token: undefined } },
    { name: 'ordinary fields untouched', args: { name: 'web', fingerprint: 'SHA256:x', key: 'default', comment: 'c', session_id: 3 },
      want: { name: 'web', fingerprint: 'SHA256:x', key: 'default', comment: 'c', session_id: 3 } },
  ];
  for (const c of cases) it(c.name, () => expect(redactArgs(c.args)).to.deep.equal(c.want));

  it('returns a copy and leaves the caller\'s object alone', () => {
    const args = { password: 'pw' };
    expect(redactArgs(args)).to.not.equal(args);
    expect(args).to.deep.equal({ password: 'pw' });
  });
});

describe('db/events: entity fits its column', () => {
  const emoji = '😀';
  const cases: { name: string; entity: string; want: string }[] = [
    { name: 'short: unchanged', entity: 'web01', want: 'web01' },
    { name: 'exactly the width: unchanged', entity: 'a'.repeat(MAX_ENTITY_CHARS), want: 'a'.repeat(MAX_ENTITY_CHARS) },
    { name: 'one over: cut and marked', entity: 'a'.repeat(MAX_ENTITY_CHARS + 1), want: `${'a'.repeat(MAX_ENTITY_CHARS - 1)}…` },
    { name: 'a 30 kB login name', entity: 'b'.repeat(30_000), want: `${'b'.repeat(MAX_ENTITY_CHARS - 1)}…` },
    { name: 'never inside a surrogate pair', entity: `${'a'.repeat(MAX_ENTITY_CHARS - 2)}${emoji}${emoji}`, want: `${'a'.repeat(MAX_ENTITY_CHARS - 2)}…` },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = fitEntity(c.entity);
      expect(got).to.equal(c.want);
      expect(got.length).to.be.at.most(MAX_ENTITY_CHARS);
    });
  }
});

describe('db/events: args fit their column', () => {
  const control = '\x01'.repeat(20_000);
  const cases: { name: string; args: Record<string, unknown>; want: Record<string, unknown> }[] = [
    { name: 'small: as is (redacted)', args: { to: 'db:5432', password: 'x' }, want: { to: 'db:5432', password: '[redacted]' } },
    { name: 'control characters escaped six-fold: strings cut, marked truncated', args: { to: control, port: 1 },
      want: { to: `${control.slice(0, MAX_ARG_CHARS - 1)}…`, port: 1, truncated: true } },
    { name: 'long values that are not strings: names only', args: { list: Array(20_000).fill('x'), n: 1 }, want: { truncated: true, names: ['list', 'n'] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const json = argsJson(c.args);
      expect(Buffer.byteLength(json)).to.be.at.most(MAX_ARGS_BYTES);
      expect(JSON.parse(json)).to.deep.equal(c.want);
    });
  }
});
