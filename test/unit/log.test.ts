import { expect } from 'chai';
import { formatLine, Secret } from '../../lib/log.js';

describe('log: formatLine', () => {
  const t = new Date('2026-01-02T03:04:05.000Z');
  it('text', () => expect(formatLine('text', t, 'info', 'hello', { conn: 'ab', n: 2, s: 'a b' })).to.equal('2026-01-02T03:04:05.000Z info hello conn=ab n=2 s="a b"'));
  it('json', () => expect(JSON.parse(formatLine('json', t, 'warn', 'x', { conn: 'ab' }))).to.deep.equal({ time: t.toISOString(), level: 'warn', msg: 'x', conn: 'ab' }));
  it('redacts secrets in both formats', () => {
    expect(formatLine('text', t, 'info', 'x', { k: new Secret('pw') })).to.not.include('pw');
    expect(formatLine('json', t, 'info', 'x', { k: new Secret('pw') })).to.not.include('pw');
  });
});
