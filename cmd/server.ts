import { hostname } from 'node:os';
import { App } from '../lib/app.js';
import { resolveServerConfig, type ServerFlags } from '../lib/config/server-config.js';
import { createLogger } from '../lib/log.js';

/** How long shutdown may take before the process exits anyway. */
const shutdownLimitMs = 5_000;

/**
 * `sshportal server`: resolves the config (flags, then SSHPORTAL_* env),
 * starts the app and stops it cleanly on SIGTERM/SIGINT.
 */
export async function runServer(flags: ServerFlags, version: string): Promise<void> {
  const config = resolveServerConfig(flags, process.env, hostname());
  const log = createLogger({ level: config.debug ? 'debug' : 'info', format: config.logFormat });
  const app = await App.start({ config, log, version });
  const stop = (signal: string): void => {
    log.info('shutting down', { signal });
    setTimeout(() => {
      log.error('shutdown took too long, exiting');
      process.exit(1);
    }, shutdownLimitMs).unref();
    app.close().then(() => {
      process.exitCode = 0;
    }, (err: unknown) => {
      log.error('shutdown failed', { err });
      process.exitCode = 1;
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
