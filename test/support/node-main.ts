/**
 * Child side of {@link startNodeProcess}: one real portal node in its own
 * process, so a test can kill -9 it. Reads its options as a JSON argument,
 * reports `{ port }` over IPC, stops cleanly on `{ stop: true }`, and exits if
 * the parent goes away.
 */
import { App } from '../../lib/app.js';
import { resolveServerConfig } from '../../lib/config/server-config.js';
import { createLogger } from '../../lib/log.js';
import type { NodeProcessOptions } from './node-process.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as NodeProcessOptions;
const config = resolveServerConfig({
  bindAddress: '127.0.0.1:0', dbDriver: opts.db.driver, dbConn: opts.db.conn, logsLocation: opts.logsLocation, nodeName: opts.name,
}, { ...opts.env }, opts.name);
const log = createLogger({ level: 'debug', format: 'text', sink: (l) => { if (process.env.PORTAL_LOGS) console.error(`[${opts.name}] ${l}`); } });
const app = await App.start({ config, log, version: 'test', clusterTiming: opts.clusterTiming });
process.send?.({ port: app.port });
process.on('message', (m: unknown) => {
  if (typeof m === 'object' && m !== null && 'stop' in m) void app.close().then(() => process.disconnect());
});
process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
