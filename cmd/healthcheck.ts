import ssh2 from 'ssh2';
import { parseListenAddress } from '../lib/config/bind-address.js';
import { ConfigError } from '../lib/errors.js';

/** Options of `sshportal healthcheck`. */
export interface HealthcheckOptions {
  host: string;
  port: number;
  user: string;
  timeoutMs: number;
}

/** Parses `--addr host:port` (sshportal's default `localhost:2222`; an empty host is localhost). */
export function parseAddr(addr: string): { host: string; port: number } {
  const a = parseListenAddress(addr, '--addr');
  if (a.port === 0) throw new ConfigError(`invalid --addr '${addr}': port must be 1-65535`);
  return { host: a.host ?? 'localhost', port: a.port };
}

/**
 * Logs in as the healthcheck user (no key needed) and checks that the portal
 * answers `OK`. Resolves with null when healthy, else with what went wrong.
 */
export function probe(opts: HealthcheckOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let out = '';
    let errOut = '';
    let settled = false;
    const done = (problem: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      resolve(problem);
    };
    const timer = setTimeout(() => done(`no answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
    client.on('ready', () => {
      client.exec('healthcheck', (err, stream) => {
        if (err) { done(`cannot open a session: ${err.message}`); return; }
        stream.on('data', (d: Buffer) => { out += d.toString('utf8'); });
        stream.stderr.on('data', (d: Buffer) => { if (errOut.length < 200) errOut += d.toString('utf8'); });
        stream.on('close', () => {
          if (out.trim() === 'OK') { done(null); return; }
          // A draining node answers a failure on purpose, so load balancers move away.
          if (/draining/.test(errOut)) { done('portal draining'); return; }
          done(`unexpected answer '${out.trim().slice(0, 80)}'`);
        });
      });
    });
    client.on('error', (err) => done(err.message));
    client.on('close', () => done('connection closed'));
    client.connect({
      host: opts.host, port: opts.port, username: opts.user,
      readyTimeout: opts.timeoutMs, hostVerifier: () => true, tryKeyboard: false,
    });
  });
}
