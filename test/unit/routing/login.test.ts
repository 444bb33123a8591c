import { expect } from 'chai';
import { classifyLogin, userLogin, type LoginKind } from '../../../lib/routing/login.js';

const names = { configUser: 'admin', healthcheckUser: 'healthcheck' };

describe('routing: login names', () => {
  const kinds: { login: string; want: LoginKind }[] = [
    { login: 'healthcheck', want: { kind: 'healthcheck' } },
    { login: 'invite:abc', want: { kind: 'invite', token: 'abc' } },
    { login: 'peer:node-2', want: { kind: 'peer', node: 'node-2' } },
    { login: 'admin', want: { kind: 'config' } },
    { login: 'web01', want: { kind: 'host', target: 'web01' } },
    { login: '42', want: { kind: 'host', target: '42' } },
  ];
  for (const c of kinds) it(`classifies ${c.login}`, () => expect(classifyLogin(c.login, names)).to.deep.equal(c.want));

  const users: { login: string; user: string; want: ReturnType<typeof userLogin> }[] = [
    { login: 'admin', user: 'alice', want: { kind: 'shell' } },
    { login: 'alice', user: 'alice', want: { kind: 'shell' } },
    { login: 'Alice', user: 'alice', want: { kind: 'host', target: 'Alice' } },
    { login: 'web01', user: 'alice', want: { kind: 'host', target: 'web01' } },
    { login: 'healthcheck', user: 'alice', want: null },
    { login: 'invite:abc', user: 'alice', want: null },
    { login: 'peer:n', user: 'alice', want: null },
    { login: 'watch:12', user: 'alice', want: { kind: 'live', mode: 'watch', session: '12' } },
    { login: 'join:3', user: 'alice', want: { kind: 'live', mode: 'join', session: '3' } },
  ];
  for (const c of users) {
    it(`${c.user} logging in as ${c.login} → ${JSON.stringify(c.want)}`, () => expect(userLogin(classifyLogin(c.login, names), c.user)).to.deep.equal(c.want));
  }
});
