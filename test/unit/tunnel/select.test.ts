import { expect } from 'chai';
import { decideBind, recheckBind, selectConnector, type BindDecision, type Candidate, type KeyRecheck } from '../../../lib/tunnel/select.js';

describe('tunnel: decideBind', () => {
  const login = { id: 1, name: 'pi42' };
  const bound = [login, { id: 2, name: 'pi43' }];
  const cases: [string, BindDecision['action'], number?][] = [
    ['localhost', 'register', 1],
    ['', 'register', 1],
    ['127.0.0.1', 'register', 1],
    ['*', 'register', 1],
    ['pi42', 'register', 1],
    ['pi43', 'register', 2],
    ['web01', 'refuse'],
    ['PI43', 'refuse'],
  ];
  for (const [addr, action, hostId] of cases) {
    it(`bind ${JSON.stringify(addr)} → ${action}${hostId ? ` host ${hostId}` : ''}`, () => {
      const d = decideBind(addr, login, bound);
      expect(d.action).to.equal(action);
      if (d.action === 'register') expect(d.hostId).to.equal(hostId);
    });
  }
});

describe('tunnel: recheckBind (a forward against the hosts its key is bound to now)', () => {
  const pi42 = { id: 1, name: 'pi42' };
  const pi43 = { id: 2, name: 'pi43' };
  const cases: { name: string; decided: typeof pi42; now: (typeof pi42)[]; want: KeyRecheck['action']; host?: string }[] = [
    { name: 'still bound to both: registers', decided: pi43, now: [pi42, pi43], want: 'register', host: 'pi43' },
    { name: 'its login host: registers', decided: pi42, now: [pi42], want: 'register', host: 'pi42' },
    { name: 'renamed since the login: registers under its name now', decided: pi42, now: [{ id: 1, name: 'pi42-new' }], want: 'register', host: 'pi42-new' },
    { name: 'no longer bound to the forward\'s host: refused', decided: pi43, now: [pi42], want: 'refuse' },
    { name: 'no longer bound to the login host: dropped', decided: pi43, now: [pi43], want: 'drop' },
    { name: 'bound to nothing (revoked, host removed): dropped', decided: pi42, now: [], want: 'drop' },
    { name: 'another host of the same name is no match', decided: pi43, now: [pi42, { id: 3, name: 'pi43' }], want: 'refuse' },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const k = recheckBind(t.decided, pi42.id, t.now);
      expect(k.action).to.equal(t.want);
      if (k.action === 'register') expect(k.hostName).to.equal(t.host);
    });
  }
});

describe('tunnel: selectConnector', () => {
  const c = (node: string, id: number, lastUsed: number): Candidate => ({ node, id, lastUsed });
  const cases: { name: string; list: Candidate[]; want: number | null }[] = [
    { name: 'none', list: [], want: null },
    { name: 'prefers this node over a less used remote one', list: [c('b', 1, 0), c('a', 2, 100)], want: 2 },
    { name: 'then the least recently used', list: [c('a', 1, 50), c('a', 2, 10), c('a', 3, 30)], want: 2 },
    { name: 'then the oldest id', list: [c('a', 3, 10), c('a', 2, 10)], want: 2 },
    { name: 'remote only: least recently used', list: [c('b', 1, 9), c('c', 1, 3)], want: 1 },
  ];
  for (const t of cases) it(t.name, () => expect(selectConnector(t.list, 'a')?.id ?? null).to.equal(t.want));
  it('remote only picks the node with the least recently used connector', () => expect(selectConnector([c('b', 1, 9), c('c', 1, 3)], 'a')?.node).to.equal('c'));
});
