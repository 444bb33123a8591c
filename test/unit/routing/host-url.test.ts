import { expect } from 'chai';
import { defaultHostName, parseHostUrl, parsePort } from '../../../lib/routing/host-url.js';

describe('shell: parseHostUrl', () => {
  const cases: { input: string; user: string; password: string | null; host: string; port: number; addr: string; url: string }[] = [
    { input: 'bob@example.org:1234', user: 'bob', password: null, host: 'example.org', port: 1234, addr: 'example.org:1234', url: 'ssh://bob@example.org:1234' },
    { input: 'test42', user: 'root', password: null, host: 'test42', port: 22, addr: 'test42:22', url: 'ssh://root@test42:22' },
    { input: 'ssh://bart@foo.org', user: 'bart', password: null, host: 'foo.org', port: 22, addr: 'foo.org:22', url: 'ssh://bart@foo.org:22' },
    { input: 'SSH://bart@foo.org/', user: 'bart', password: null, host: 'foo.org', port: 22, addr: 'foo.org:22', url: 'ssh://bart@foo.org:22' },
    { input: 'bob:marley@example.com:2222', user: 'bob', password: 'marley', host: 'example.com', port: 2222, addr: 'example.com:2222', url: 'ssh://bob@example.com:2222' },
    { input: 'bob:p@ss:w@rd@h', user: 'bob', password: 'p@ss:w@rd', host: 'h', port: 22, addr: 'h:22', url: 'ssh://bob@h:22' },
    { input: 'bob:p%40ss@h', user: 'bob', password: 'p@ss', host: 'h', port: 22, addr: 'h:22', url: 'ssh://bob@h:22' },
    { input: 'root@10.0.0.1', user: 'root', password: null, host: '10.0.0.1', port: 22, addr: '10.0.0.1:22', url: 'ssh://root@10.0.0.1:22' },
    { input: 'root@[::1]:2200', user: 'root', password: null, host: '::1', port: 2200, addr: '[::1]:2200', url: 'ssh://root@[::1]:2200' },
    { input: 'u@[fe80::1]', user: 'u', password: null, host: 'fe80::1', port: 22, addr: '[fe80::1]:22', url: 'ssh://u@[fe80::1]:22' },
    { input: ' u@h.local:65535 ', user: 'u', password: null, host: 'h.local', port: 65535, addr: 'h.local:65535', url: 'ssh://u@h.local:65535' },
  ];
  for (const c of cases) {
    it(`parses ${c.input}`, () => {
      const { user, password, host, port, addr, url } = parseHostUrl(c.input);
      expect({ user, password, host, port, addr, url }).to.deep.equal({ user: c.user, password: c.password, host: c.host, port: c.port, addr: c.addr, url: c.url });
    });
  }

  const errors: { input: string; message: RegExp }[] = [
    { input: '', message: /empty address/ },
    { input: 'telnet://bob@h', message: /unsupported URL scheme 'telnet'/ },
    { input: 'bob@h:0', message: /invalid port '0'/ },
    { input: 'bob@h:65536', message: /invalid port '65536'/ },
    { input: 'bob@h:22a', message: /invalid port '22a'/ },
    { input: 'bob@h:', message: /invalid port ''/ },
    { input: 'bob@', message: /missing host name/ },
    { input: '@h', message: /bad user name ''/ },
    { input: 'bob:@h', message: /empty password/ },
    { input: 'bob@h/path', message: /expected \[ssh:\/\/\]user/ },
    { input: 'bob@h b', message: /expected \[ssh:\/\/\]user/ },
    { input: 'bob@bad_host!', message: /bad host name/ },
    { input: 'bob@-h', message: /bad host name/ },
    { input: 'bob@[::1', message: /bad IPv6 address/ },
    { input: 'bob@[zz]:22', message: /bad IPv6 address/ },
    { input: 'bob:%zz@h', message: /bad percent-encoding in the password/ },
    // Past the widths of the columns they are kept in (SQLite kept them, MariaDB refused them, and the backup did not restore).
    { input: `${'u'.repeat(256)}@h`, message: /^invalid URL: user name longer than 255 characters$/ },
    { input: `${'é'.repeat(200)}@h`, message: /^invalid URL: longer than 1024 characters once its user name is encoded$/ },
    { input: `bob@[${'1:'.repeat(30)}1]:22`, message: /bad IPv6 address/ },
    { input: `bob@${Array.from({ length: 4 }, () => 'h'.repeat(62)).join('.')}:65535`, message: /^invalid URL: host and port longer than 255 characters$/ },
  ];
  it('takes a user name of 255 characters and the longest IPv6 literal', () => {
    expect(parseHostUrl(`${'u'.repeat(255)}@h`).user).to.have.length(255);
    expect(parseHostUrl('bob@[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]').host).to.have.length(45);
  });
  for (const c of errors) {
    it(`refuses ${JSON.stringify(c.input.length > 60 ? `${c.input.slice(0, 60)}…` : c.input)}`, () => expect(() => parseHostUrl(c.input)).to.throw(c.message));
  }

  // A refused URL is quoted in the error (the shell's and a restore's): never with its password, never at length.
  const secretInputs = [
    'ssh://root:hunter2@h b', 'root:hunter2@h/path', 'ssh://root:hunter2@h?x', 'root:hunter2@h#x', 'root:hunter2@bad_host!',
    'root:hunter2@h:99999', 'root:hunter2@[zz]:22', 'root:hun ter2@h', 'ssh://root:p@hunter2@h b', ` ssh://root:hunter2@${'h'.repeat(300)} x`,
  ];
  for (const input of secretInputs) {
    it(`never quotes the password of ${JSON.stringify(input.slice(0, 40))}`, () => {
      let message = '';
      try {
        parseHostUrl(input);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.match(/^invalid|^unsupported/);
      expect(message).not.to.match(/hunter2|hun ter2/);
      expect(message.length).to.be.below(160);
    });
  }

  it('quotes a refused URL with its password masked', () => {
    expect(() => parseHostUrl('ssh://root:hunter2@h b')).to.throw("invalid URL 'ssh://root:***@h b': expected [ssh://]user[:password]@host[:port]");
  });

  const names: [string, string][] = [['example.org', 'example'], ['test42', 'test42'], ['10.1.2.3', '10.1.2.3'], ['a.b.c', 'a'], ['::1', '--1']];
  for (const [host, name] of names) it(`names ${host} ${name}`, () => expect(defaultHostName(host)).to.equal(name));

  it('parses ports', () => {
    expect(parsePort('1')).to.equal(1);
    expect(() => parsePort('-1')).to.throw(/invalid port/);
  });
});
