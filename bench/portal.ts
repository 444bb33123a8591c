/**
 * The real portal under benchmark (App: auth against the database, ACLs,
 * session rows, recordings), in its own process, SQLite in a temp dir. Before
 * listening it swaps the `default` client key for the benchmark's portal key
 * and adds host `web` (the target) in the `default` group, and the optional
 * `users` (each with one key, in the `default` user group, which the bootstrap
 * ACL lets reach the `default` host group). IPC as child.ts.
 *
 * `limits: 'default'` runs with sshportal's default --max-startups and
 * --max-auth-failures (what a sysadmin gets); otherwise both are raised out of
 * the way of benchmarks that hammer logins from one address.
 */
// First: ssh2's cipher module must load with the padding pool, as in `sshportal server`.
import '../lib/ssh/padding-pool.js';
import '../lib/ssh/kex-keys.js';
import { join } from 'node:path';
import { App } from '../lib/app.js';
import { resolveServerConfig, type ServerFlags } from '../lib/config/server-config.js';
import { parsePublicKey } from '../lib/crypto/ssh-keys.js';
import { Host, HostGroup, SshKey, User, UserGroup, UserKey } from '../lib/db/entities/index.js';
import { createLogger } from '../lib/log.js';
import type { StallLimits } from '../lib/proxy/stall-decision.js';
import { tuneHeap } from '../lib/server/heap.js';
import type { TestKey } from '../test/support/keys.js';
import type { SshdTarget } from '../test/support/sshd.js';
import { serveBenchIpc } from './child.js';

interface PortalConfig {
  dir: string;
  inviteToken: string;
  portalKey: TestKey;
  target: Pick<SshdTarget, 'host' | 'port' | 'user'>;
  users?: { name: string; publicKey: string }[];
  limits?: 'bench' | 'default';
  /** Extra server flags (e.g. `maxUserConnections` for thousands of sessions of one user). */
  flags?: ServerFlags;
  /** The stall budget's limits (security tests shrink them). */
  stallLimits?: StallLimits;
}

// As `sshportal server` does (cmd/server.ts); BENCH_NO_HEAP_TUNING=1 measures without it.
if (!process.env.BENCH_NO_HEAP_TUNING) tuneHeap();
const cfg = JSON.parse(process.argv[2] ?? '{}') as PortalConfig;
const raised: ServerFlags = cfg.limits === 'default' ? {} : { maxStartups: '1024', maxAuthFailures: '100000' };
const config = resolveServerConfig({
  bindAddress: '127.0.0.1:0', dbConn: join(cfg.dir, 'sshportal.db'), logsLocation: join(cfg.dir, 'log'), nodeName: 'bench', ...raised, ...cfg.flags,
}, { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: cfg.inviteToken }, 'bench');
// BENCH_PORTAL_LOG=info (or debug) shows what the portal logs below warnings, e.g. which connections it dropped and why.
const level = process.env.BENCH_PORTAL_LOG === 'info' || process.env.BENCH_PORTAL_LOG === 'debug' ? process.env.BENCH_PORTAL_LOG : 'warn';
const app = await App.start({ config, log: createLogger({ level }), version: 'bench', stallLimits: cfg.stallLimits });
const m = app.db.manager;
await m.update(SshKey, { name: 'default' }, { privKey: app.db.cipher.encrypt(cfg.portalKey.privateKey), pubKey: cfg.portalKey.publicKey });
const group = await m.findOneByOrFail(HostGroup, { name: 'default' });
await m.save(m.create(Host, { name: 'web', addr: `${cfg.target.host}:${cfg.target.port}`, user: cfg.target.user, groups: [group] }));
const users = await m.findOneByOrFail(UserGroup, { name: 'default' });
for (const u of cfg.users ?? []) {
  const saved = await m.save(m.create(User, { name: u.name, email: `${u.name}@bench`, groups: [users] }));
  const key = parsePublicKey(u.publicKey);
  await m.save(m.create(UserKey, { key: key.blob, fingerprint: key.fingerprint, authorizedKey: u.publicKey, userId: saved.id }));
}
serveBenchIpc(app.port, () => app.close());
