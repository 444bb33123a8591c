import { hostname } from 'node:os';
import { App } from '../lib/app.js';
import { resolveServerConfig, type ServerFlags } from '../lib/config/server-config.js';
import { createLogger } from '../lib/log.js';
import { tuneHeap } from '../lib/server/heap.js';
import { mallocUntuned, onGlibc } from '../lib/server/malloc.js';

/** How long shutdown may take before the process exits anyway. */
const shutdownLimitMs = 5_000;

/**
 * `sshportal server`: resolves the config (flags, then SSHPORTAL_* env),
 * starts the app and stops it cleanly on SIGTERM/SIGINT. With
 * `--drain-timeout`, SIGTERM drains first (see App.drain); SIGINT, or a
 * second signal, stops at once.
 */
export async function runServer(flags: ServerFlags, version: string): Promise<void> {
  const config = resolveServerConfig(flags, process.env, hostname());
  tuneHeap();
  const log = createLogger({ level: config.debug ? 'debug' : 'info', format: config.logFormat });
  const untuned = mallocUntuned(process.env, onGlibc());
  if (untuned.length > 0) log.warn('glibc malloc is not tuned: relayed transfers cost more CPU; start the server with this environment (npm start and the Docker image set it)', { env: untuned.join(' ') });
  const app = await App.start({ config, log, version });
  let signals = 0;
  const stop = (signal: string): void => {
    const first = signals++ === 0;
    const drain = first && signal === 'SIGTERM' && config.drainTimeoutMs > 0;
    log.info('shutting down', { signal, drainTimeoutMs: drain ? config.drainTimeoutMs : 0 });
    setTimeout(() => {
      log.error('shutdown took too long, exiting');
      process.exit(1);
    }, (drain ? config.drainTimeoutMs : 0) + shutdownLimitMs).unref();
    (drain ? app.drain(config.drainTimeoutMs) : app.close()).then(() => {
      process.exitCode = 0;
    }, (err: unknown) => {
      log.error('shutdown failed', { err });
      process.exitCode = 1;
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
