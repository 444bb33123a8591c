import { expect } from 'chai';
import { classifyLogin, type LoginKind } from '../../../lib/routing/login.js';
import { decidePublicKey, refusalMessage } from '../../../lib/server/auth-decision.js';

const names = { configUser: 'admin', healthcheckUser: 'healthcheck' };

describe('routing: classifyLogin', () => {
  const cases: [string, LoginKind][] = [
    ['healthcheck', { kind: 'healthcheck' }],
    ['invite:abc', { kind: 'invite', token: 'abc' }],
    ['invite:', { kind: 'invite', token: '' }],
    ['admin', { kind: 'config' }],
    ['web01', { kind: 'host', target: 'web01' }],
    ['42', { kind: 'host', target: '42' }],
    ['Admin', { kind: 'host', target: 'Admin' }],
    ['peer:node-b', { kind: 'peer', node: 'node-b' }],
    ['peer:', { kind: 'peer', node: '' }],
    ['Peer:x', { kind: 'host', target: 'Peer:x' }],
    ['host-invite:tok', { kind: 'tunnel-invite', token: 'tok' }],
    ['tunnel:pi42', { kind: 'tunnel', host: 'pi42' }],
    ['tunnel:', { kind: 'tunnel', host: '' }],
    ['Tunnel:pi42', { kind: 'host', target: 'Tunnel:pi42' }],
    ['watch:12', { kind: 'live', mode: 'watch', session: '12' }],
    ['join:7', { kind: 'live', mode: 'join', session: '7' }],
    ['join:', { kind: 'live', mode: 'join', session: '' }],
    ['Watch:12', { kind: 'host', target: 'Watch:12' }],
  ];
  for (const [name, want] of cases) it(`'${name}' → ${want.kind}`, () => expect(classifyLogin(name, names)).to.deep.equal(want));
  it('honours --config-user and --healthcheck-user', () => {
    expect(classifyLogin('root', { configUser: 'root', healthcheckUser: 'hc' })).to.deep.equal({ kind: 'config' });
    expect(classifyLogin('admin', { configUser: 'root', healthcheckUser: 'hc' })).to.deep.equal({ kind: 'host', target: 'admin' });
    expect(classifyLogin('hc', { configUser: 'root', healthcheckUser: 'hc' })).to.deep.equal({ kind: 'healthcheck' });
  });
});

describe('server: decidePublicKey', () => {
  const fp = 'SHA256:x';
  const cases: { login: LoginKind; bound: boolean; inviteValid: boolean; cluster?: boolean; tunnelInviteValid?: boolean; connectorFor?: boolean; want: 'accept' | RegExp }[] = [
    { login: { kind: 'config' }, bound: true, inviteValid: false, want: 'accept' },
    { login: { kind: 'config' }, bound: false, inviteValid: false, want: /unknown key SHA256:x/ },
    { login: { kind: 'host', target: 'web' }, bound: true, inviteValid: false, want: 'accept' },
    { login: { kind: 'host', target: 'web' }, bound: false, inviteValid: false, want: /unknown key/ },
    { login: { kind: 'invite', token: 't' }, bound: false, inviteValid: true, want: 'accept' },
    { login: { kind: 'invite', token: 't' }, bound: true, inviteValid: true, want: /already associated/ },
    { login: { kind: 'invite', token: 't' }, bound: false, inviteValid: false, want: /invalid or expired invite/ },
    { login: { kind: 'healthcheck' }, bound: false, inviteValid: false, want: 'accept' },
    { login: { kind: 'peer', node: 'b' }, bound: false, inviteValid: false, cluster: true, want: 'accept' },
    // A user's key, even the admin's, never opens a node link.
    { login: { kind: 'peer', node: 'b' }, bound: true, inviteValid: false, want: /not the cluster key/ },
    { login: { kind: 'peer', node: 'b' }, bound: false, inviteValid: false, want: /not the cluster key/ },
    { login: { kind: 'live', mode: 'watch', session: '1' }, bound: true, inviteValid: false, want: 'accept' },
    { login: { kind: 'live', mode: 'join', session: '1' }, bound: false, inviteValid: false, want: /unknown key/ },
    { login: { kind: 'live', mode: 'join', session: '1' }, bound: false, inviteValid: false, cluster: true, want: /unknown key/ },
    // The cluster key is no user key.
    { login: { kind: 'config' }, bound: false, inviteValid: false, cluster: true, want: /unknown key/ },
    // Keys stay in their lane: connectors enroll with their own key, only connector keys open `tunnel:`.
    { login: { kind: 'tunnel-invite', token: 't' }, bound: false, inviteValid: false, tunnelInviteValid: true, want: 'accept' },
    { login: { kind: 'tunnel-invite', token: 't' }, bound: true, inviteValid: false, tunnelInviteValid: true, want: /is a user key/ },
    { login: { kind: 'tunnel-invite', token: 't' }, bound: false, inviteValid: true, want: /invalid or expired host invite/ },
    { login: { kind: 'tunnel', host: 'pi42' }, bound: false, inviteValid: false, connectorFor: true, want: 'accept' },
    { login: { kind: 'tunnel', host: 'pi42' }, bound: true, inviteValid: false, want: /not a connector key of tunnel host 'pi42'/ },
    { login: { kind: 'tunnel', host: 'pi42' }, bound: false, inviteValid: false, cluster: true, want: /not a connector key/ },
    // A connector key is no user key: the user lookup never finds it (bound stays false).
    { login: { kind: 'host', target: 'pi42' }, bound: false, inviteValid: false, connectorFor: true, want: /unknown key/ },
  ];
  for (const c of cases) {
    it(`${c.login.kind} bound=${c.bound} invite=${c.inviteValid} cluster=${c.cluster === true}`, () => {
      const d = decidePublicKey(c.login, { bound: c.bound, inviteValid: c.inviteValid, clusterKey: c.cluster === true, tunnelInviteValid: c.tunnelInviteValid === true, connectorFor: c.connectorFor === true }, fp);
      if (c.want === 'accept') expect(d).to.deep.equal({ action: 'accept' });
      else expect(d.action === 'reject' && d.reason).to.match(c.want);
    });
  }
  it('refusalMessage is one line naming every distinct reason', () => {
    expect(refusalMessage([])).to.match(/^error: .*no key was offered$/);
    expect(refusalMessage(['a', 'b', 'a'])).to.equal('error: a; b');
  });
});
