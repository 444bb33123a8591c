import { expect } from 'chai';
import { classifyCommand } from '../../../lib/acl/commands.js';
import { evaluateAcl } from '../../../lib/acl/evaluate.js';
import {
  decidePolicy, decisivePolicy, normalizeForward, parseYesNo, POLICY_DEFAULTS, type PolicyOptions, type PolicyRequest,
} from '../../../lib/acl/policy.js';
import { checkLines, policySummary } from '../../../lib/shell/commands/acl-policy.js';
import { checkPattern } from '../../../lib/shell/parse/acl-rules.js';

const p = (o: Partial<PolicyOptions>) => decisivePolicy(3, { ...POLICY_DEFAULTS, ...o });

describe('acl/policy: decision of one request', () => {
  const cases: Array<[string, Partial<PolicyOptions>, PolicyRequest, string | true]> = [
    ['defaults allow a shell', {}, { kind: 'shell' }, true],
    ['defaults allow any local forward', {}, { kind: 'local-forward', host: 'db', port: 5432 }, true],
    ['defaults allow a socket forward', {}, { kind: 'local-forward-socket', path: '/run/x.sock' }, true],
    ['defaults allow remote forwards', {}, { kind: 'remote-forward', host: 'localhost', port: 0 }, true],
    ['defaults allow agent and x11', {}, { kind: 'x11' }, true],
    ['shell=no', { shell: 'no' }, { kind: 'shell' }, 'acl 3 forbids interactive shells'],
    ['shell=no leaves exec', { shell: 'no' }, { kind: 'exec', command: 'uname -a' }, true],
    ['exec=no', { exec: 'no' }, { kind: 'exec', command: 'uname -a' }, 'acl 3 forbids remote commands'],
    ['exec=no leaves the shell', { exec: 'no' }, { kind: 'shell' }, true],
    ['file-copy=no stops sftp', { fileCopy: 'no' }, { kind: 'subsystem', name: 'sftp' }, 'acl 3 forbids file copy (sftp)'],
    ['file-copy=no stops scp -t', { fileCopy: 'no' }, { kind: 'exec', command: 'scp -t /tmp' }, 'acl 3 forbids file copy (scp)'],
    ['file-copy=no stops scp -r -t', { fileCopy: 'no' }, { kind: 'exec', command: 'scp -r -t -- /tmp' }, 'acl 3 forbids file copy (scp)'],
    ['file-copy=no stops scp -f', { fileCopy: 'no' }, { kind: 'exec', command: 'scp -v -f /etc/hostname' }, 'acl 3 forbids file copy (scp)'],
    ['file-copy=no stops /usr/bin/scp -pf', { fileCopy: 'no' }, { kind: 'exec', command: '/usr/bin/scp -pf x' }, 'acl 3 forbids file copy (scp)'],
    ['file-copy=no stops rsync --server', { fileCopy: 'no' }, { kind: 'exec', command: 'rsync --server -vlogDtpre.iLsfxCIvu . /tmp/x' }, 'acl 3 forbids file copy (rsync)'],
    ['file-copy=no stops sftp-server', { fileCopy: 'no' }, { kind: 'exec', command: '/usr/lib/openssh/sftp-server' }, 'acl 3 forbids file copy (sftp)'],
    ['file-copy=no leaves plain exec', { fileCopy: 'no' }, { kind: 'exec', command: 'echo scp -t' }, true],
    ['file-copy=no leaves scp without -t/-f', { fileCopy: 'no' }, { kind: 'exec', command: 'scp -V' }, true],
    ['exec=no, file-copy=yes: scp -t passes', { exec: 'no' }, { kind: 'exec', command: "scp -t -- '/tmp/a b'" }, true],
    ['exec=no, file-copy=yes: scp -t; sh does not', { exec: 'no' }, { kind: 'exec', command: 'scp -t /tmp; sh' }, 'acl 3 forbids remote commands'],
    ['exec=no, file-copy=yes: $(…) does not', { exec: 'no' }, { kind: 'exec', command: 'rsync --server $(id) .' }, 'acl 3 forbids remote commands'],
    ['exec=no, file-copy=yes: a newline does not', { exec: 'no' }, { kind: 'exec', command: 'scp -t x\nid' }, 'acl 3 forbids remote commands'],
    ['exec=no leaves sftp', { exec: 'no' }, { kind: 'subsystem', name: 'sftp' }, true],
    ['exec=no stops other subsystems', { exec: 'no' }, { kind: 'subsystem', name: 'netconf' }, 'acl 3 forbids the netconf subsystem'],
    ['local-forward=none', { localForward: 'none' }, { kind: 'local-forward', host: 'db', port: 5432 }, 'acl 3 forbids local forwarding to db:5432'],
    ['local-forward list: allowed entry', { localForward: 'db:5432,web:80' }, { kind: 'local-forward', host: 'web', port: 80 }, true],
    ['local-forward list: host case-insensitive', { localForward: 'db:5432' }, { kind: 'local-forward', host: 'DB', port: 5432 }, true],
    ['local-forward list: other port', { localForward: 'db:5432' }, { kind: 'local-forward', host: 'db', port: 22 }, 'acl 3 forbids local forwarding to db:22'],
    ['local-forward list: port *', { localForward: '*.internal:*' }, { kind: 'local-forward', host: 'a.internal', port: 9 }, true],
    ['local-forward list: glob miss', { localForward: '*.internal:*' }, { kind: 'local-forward', host: 'internal.evil', port: 9 }, 'acl 3 forbids local forwarding to internal.evil:9'],
    ['local-forward list: IPv6', { localForward: '[::1]:22' }, { kind: 'local-forward', host: '::1', port: 22 }, true],
    ['local-forward list: IPv6 named in reason', { localForward: 'db:1' }, { kind: 'local-forward', host: '::1', port: 22 }, 'acl 3 forbids local forwarding to [::1]:22'],
    ['local-forward list refuses sockets', { localForward: 'db:5432' }, { kind: 'local-forward-socket', path: '/s' }, 'acl 3 forbids local forwarding to socket /s'],
    ['remote-forward=none', { remoteForward: 'none' }, { kind: 'remote-forward', host: 'localhost', port: 8080 }, 'acl 3 forbids remote forwarding on localhost:8080'],
    ['remote-forward list: allowed', { remoteForward: 'localhost:8080' }, { kind: 'remote-forward', host: 'localhost', port: 8080 }, true],
    ['remote-forward list: port 0 needs *', { remoteForward: 'localhost:8080' }, { kind: 'remote-forward', host: 'localhost', port: 0 }, 'acl 3 forbids remote forwarding on localhost:0'],
    ['remote-forward none leaves local', { remoteForward: 'none' }, { kind: 'local-forward', host: 'db', port: 1 }, true],
    ['remote-forward socket with a list', { remoteForward: 'localhost:*' }, { kind: 'remote-forward-socket', path: '/s' }, 'acl 3 forbids remote forwarding on socket /s'],
    ['agent-forward=no', { agentForward: 'no' }, { kind: 'agent-forward' }, 'acl 3 forbids agent forwarding'],
    ['x11=no', { x11: 'no' }, { kind: 'x11' }, 'acl 3 forbids X11 forwarding'],
    ['a hostile destination is shown printable', { localForward: 'none' }, { kind: 'local-forward', host: 'a\u001b[31m\nb', port: 1 }, 'acl 3 forbids local forwarding to a?[31m?b:1'],
    ['a long destination is cut', { localForward: 'none' }, { kind: 'local-forward', host: 'h'.repeat(300), port: 1 }, `acl 3 forbids local forwarding to ${'h'.repeat(255)}…:1`],
    ['unreadable stored forward fails closed', { localForward: 'garbage' }, { kind: 'local-forward', host: 'db', port: 1 }, 'acl 3 forbids local forwarding to db:1'],
    ['unreadable stored yes/no fails closed', { shell: 'maybe' }, { kind: 'shell' }, 'acl 3 forbids interactive shells'],
  ];
  for (const [name, options, request, expected] of cases) {
    it(name, () => {
      const v = decidePolicy(p(options), request);
      if (expected === true) expect(v, JSON.stringify(v)).to.include({ allowed: true });
      else expect(v).to.deep.include({ allowed: false, reason: expected });
    });
  }
  it('without a decisive ACL (the hook allowed) the defaults allow everything', () => {
    expect(decidePolicy(decisivePolicy(null), { kind: 'shell' }).allowed).to.equal(true);
  });
});

describe('acl/policy: option values', () => {
  const forward: Array<[string, string | RegExp]> = [
    ['any', 'any'], ['NONE', 'none'], ['db:5432', 'db:5432'], [' db:5432 , web:* ', 'db:5432,web:*'], ['*:443', '*:443'],
    ['[::1]:22', '[::1]:22'], ['10.0.0.*:22', '10.0.0.*:22'], ['db:05432', 'db:5432'],
    ['db', /invalid --local-forward entry 'db'/], ['db:http', /HOST:PORT/], ['db:70000', /HOST:PORT/], [':22', /HOST:PORT/],
    ['!db:22', /HOST:PORT/], ['a b:1', /HOST:PORT/], [',', /any, none or a list/], ['x'.repeat(1100), /at most 1024 characters/],
  ];
  for (const [value, expected] of forward) {
    it(`--local-forward ${JSON.stringify(value.slice(0, 30))}`, () => {
      if (typeof expected === 'string') expect(normalizeForward('local-forward', value)).to.equal(expected);
      else expect(() => normalizeForward('local-forward', value)).to.throw(expected);
    });
  }
  const yesNo: Array<[string, string | RegExp]> = [['yes', 'yes'], ['No', 'no'], ['true', /invalid --x11 'true': yes or no/], ['', /yes or no/]];
  for (const [value, expected] of yesNo) {
    it(`--x11 ${JSON.stringify(value)}`, () => {
      if (typeof expected === 'string') expect(parseYesNo('x11', value)).to.equal(expected);
      else expect(() => parseYesNo('x11', value)).to.throw(expected);
    });
  }
  const patterns: Array<[string, boolean]> = [['', true], ['web-*', true], ['*,!db*', true], ['!db*', false], ['!a,!b', false], ['a b', false]];
  for (const [value, ok] of patterns) {
    it(`--pattern ${JSON.stringify(value)} is ${ok ? 'accepted' : 'refused'}`, () => {
      if (ok) expect(checkPattern(value)).to.equal(value);
      else expect(() => checkPattern(value)).to.throw(/invalid pattern/);
    });
  }
});

describe('acl/policy: commands, summary, check lines', () => {
  const commands: Array<[string, string]> = [
    ['scp -t /x', 'file-copy'], ['scp -f x', 'file-copy'], ['scp -d -t -- /x', 'file-copy'], ['scp -V', 'exec'], ['echo scp -t', 'exec'],
    ['rsync --server --sender . x', 'file-copy'], ['rsync --version', 'exec'], ['sftp-server', 'file-copy'], ['ls -t', 'exec'],
    // By path: only from a system directory (an uploaded ./rsync is any program).
    ['/usr/bin/rsync --server . x', 'file-copy'], ['/usr/lib/openssh/sftp-server', 'file-copy'], ['/usr/libexec/openssh/sftp-server', 'file-copy'],
    ['./rsync --server . x', 'exec'], ['bin/scp -t /x', 'exec'], ['/home/u/rsync --server . x', 'exec'], ['/tmp/sftp-server', 'exec'],
    ['/usr/bin/../../home/u/rsync --server . x', 'exec'], ['/usr/local/bin/x/scp -t /x', 'exec'],
  ];
  for (const [command, kind] of commands) {
    it(`${JSON.stringify(command)} is ${kind}`, () => expect(classifyCommand(command).kind).to.equal(kind));
  }
  it('acl ls summarizes only what differs from the defaults', () => {
    expect(policySummary({ ...POLICY_DEFAULTS })).to.equal('defaults');
    expect(policySummary({ ...POLICY_DEFAULTS, x11: 'no', localForward: 'db:5432' })).to.equal('local-forward=db:5432 x11=no');
  });
  it('the decisive ACL supplies the policy', () => {
    const d = evaluateAcl({
      acls: [
        { id: 1, action: 'allow', weight: 1, userGroupIds: [1], hostGroupIds: [10], policy: { ...POLICY_DEFAULTS, shell: 'no' } },
        { id: 2, action: 'allow', weight: 0, userGroupIds: [1], hostGroupIds: [10], policy: { ...POLICY_DEFAULTS, x11: 'no' } },
      ],
      userGroupIds: [1], hostGroupIds: [10], hostName: 'web', now: new Date(),
    });
    expect(d.policy.aclId).to.equal(2);
    expect(d.policy.policy).to.include({ shell: true, x11: false });
  });
  it('acl check prints one line per item', () => {
    const lines = checkLines({ action: 'allow', reason: 'ACL 2 (weight 0) says allow', aclId: 2, weight: 0, aclAction: 'allow', policy: p({ x11: 'no' }) });
    expect(lines).to.deep.equal([
      'decision: allow', 'acl: 2 (weight 0, allow)', 'reason: ACL 2 (weight 0) says allow', 'shell: yes', 'exec: yes', 'file-copy: yes',
      'local-forward: any', 'remote-forward: any', 'agent-forward: yes', 'x11: no',
    ]);
    expect(checkLines({ action: 'deny', reason: 'no matching ACL', policy: decisivePolicy(null) })).to.deep.equal(['decision: deny', 'acl: none', 'reason: no matching ACL']);
  });
});
