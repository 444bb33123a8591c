/**
 * The real portal under benchmark (App: auth against the database, ACLs,
 * session rows, recordings), in its own process, SQLite in a temp dir. Before
 * listening it swaps the `default` client key for the benchmark's portal key
 * and adds host `web` (the sshd target) in the `default` group. IPC as child.ts.
 */
import { join } from 'node:path';
import { App } from '../lib/app.js';
import { resolveServerConfig } from '../lib/config/server-config.js';
import { Host, HostGroup, SshKey } from '../lib/db/entities/index.js';
import { createLogger } from '../lib/log.js';
import { tuneHeap } from '../lib/server/heap.js';
import type { TestKey } from '../test/support/keys.js';
import type { SshdTarget } from '../test/support/sshd.js';
import { serveBenchIpc } from './child.js';

interface PortalConfig {
  dir: string;
  inviteToken: string;
  portalKey: TestKey;
  target: Pick<SshdTarget, 'host' | 'port' | 'user'>;
  /** Extra server flags (e.g. `maxUserConnections` for thousands of sessions of one user). */
  flags?: Record<string, string>;
}

// As `sshportal server` does (cmd/server.ts); BENCH_NO_HEAP_TUNING=1 measures without it.
if (!process.env.BENCH_NO_HEAP_TUNING) tuneHeap();
const cfg = JSON.parse(process.argv[2] ?? '{}') as PortalConfig;
const config = resolveServerConfig({
  bindAddress: '127.0.0.1:0', dbConn: join(cfg.dir, 'sshportal.db'), logsLocation: join(cfg.dir, 'log'), nodeName: 'bench',
  maxStartups: '1024', maxAuthFailures: '100000', ...cfg.flags,
}, { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: cfg.inviteToken }, 'bench');
const app = await App.start({ config, log: createLogger({ level: 'warn' }), version: 'bench' });
const m = app.db.manager;
await m.update(SshKey, { name: 'default' }, { privKey: app.db.cipher.encrypt(cfg.portalKey.privateKey), pubKey: cfg.portalKey.publicKey });
const group = await m.findOneByOrFail(HostGroup, { name: 'default' });
await m.save(m.create(Host, { name: 'web', addr: `${cfg.target.host}:${cfg.target.port}`, user: cfg.target.user, groups: [group] }));
serveBenchIpc(app.port, () => app.close());
