/**
 * Shared setup of the ACL policy suites: a real portal, a real sshd target,
 * a user `alice` in her own user group (so the bootstrap's default ACL never
 * applies), and one host per scenario, all pointing at the same sshd.
 */
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { Event, SshKey } from '../../../lib/db/entities/index.js';
import { startPortal, type Portal } from '../../support/portal.js';
import type { RunOptions, RunResult } from '../../support/process.js';
import { startSshd, type SshdTarget } from '../../support/sshd.js';

/** A running policy fixture. */
export interface PolicyFixture {
  portal: Portal;
  target: SshdTarget;
  /** Alice's private key file. */
  key: string;
  /** Runs the real `ssh` as alice to `host`; `extra` options come first. */
  ssh(host: string, args: string[], opts?: RunOptions & { extra?: string[] }): Promise<RunResult>;
  /** Runs an admin shell command; fails the test if it fails. Returns stdout. */
  admin(...args: string[]): Promise<string>;
  /** Creates host `name` in host group `hg-<name>` and an ACL for alice on it with `aclFlags`; returns the ACL id. */
  host(name: string, ...aclFlags: string[]): Promise<number>;
  close(): Promise<void>;
}

/** Starts the fixture (SQLite: the policy does not depend on the driver; migrations and backups are tested on both). */
export async function startPolicyFixture(ctx: Mocha.Context, sshdExtra: string[] = []): Promise<PolicyFixture> {
  const portal = await startPortal(ctx, { driver: 'sqlite3' });
  const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
  const target = await startSshd({ authorizedKeys: [portalKey.pubKey], extraConfig: sshdExtra });
  const admin = async (...args: string[]): Promise<string> => {
    const r = await portal.ssh(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  };
  await admin('usergroup', 'create', '--name=ug-alice');
  const invite = await admin('user', 'invite', '--name=alice', '--group=ug-alice', 'alice@example.org');
  const token = /invite:([A-Za-z0-9]+)'/.exec(invite)?.[1] ?? '';
  const key = portal.newKey('alice');
  expect((await portal.ssh([], { login: `invite:${token}`, key })).code).to.equal(0);
  const fixture: PolicyFixture = {
    portal, target, key, admin,
    ssh: (host, args, opts = {}) => portal.ssh(args, { ...opts, login: host, key }),
    async host(name, ...aclFlags) {
      await admin('hostgroup', 'create', `--name=hg-${name}`);
      await admin('host', 'create', `--name=${name}`, `--group=hg-${name}`, `${target.user}@127.0.0.1:${target.port}`);
      return Number((await admin('acl', 'create', '--ug=ug-alice', `--hg=hg-${name}`, ...aclFlags)).trim());
    },
    async close() {
      await portal.close();
      await target.stop();
    },
  };
  return fixture;
}

/** The reasons of the `policy-refused` events written for `host`. */
export async function refusals(f: PolicyFixture, host: string): Promise<string[]> {
  const events = await f.portal.app.db.manager.find(Event, { where: { domain: 'session', action: 'policy-refused', entity: host } });
  return events.map((e) => String((JSON.parse(e.args ?? '{}') as { reason?: unknown }).reason));
}

/** A TCP echo server on 127.0.0.1 (a forwarding destination). */
export async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => { s.on('error', () => undefined); s.pipe(s); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 };
}
