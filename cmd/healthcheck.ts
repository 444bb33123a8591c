import ssh2 from 'ssh2';

/** Options of `sshportal healthcheck`. */
export interface HealthcheckOptions {
  host: string;
  port: number;
  user: string;
  timeoutMs: number;
}

/** Parses `--addr host:port` (sshportal's default `localhost:2222`). */
export function parseAddr(addr: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]*):(\d+)$/.exec(addr);
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] || 'localhost', port };
}

/**
 * Logs in as the healthcheck user (no key needed) and checks that the portal
 * answers `OK`. Resolves with null when healthy, else with what went wrong.
 */
export function probe(opts: HealthcheckOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let out = '';
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
        if (err) return done(`cannot open a session: ${err.message}`);
        stream.on('data', (d: Buffer) => { out += d.toString('utf8'); });
        stream.stderr.resume();
        stream.on('close', () => done(out.trim() === 'OK' ? null : `unexpected answer '${out.trim().slice(0, 80)}'`));
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
