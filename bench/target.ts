/**
 * A cheap SSH target for memory benchmarks at scale (thousands of sessions,
 * where one sshd process per session would cost more than the portal): an
 * ssh2 server in its own process, accepting any public key, whose sessions
 * stay open and silent (like `sleep`) until the client closes them. IPC as
 * child.ts; the config names the host key file.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { serveBenchIpc } from './child.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as { hostKeyPath: string };
const open = new Set<Connection>();

function serve(conn: Connection): void {
  open.add(conn);
  conn.on('error', () => undefined);
  conn.on('close', () => open.delete(conn));
  conn.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
  conn.on('ready', () => {
    conn.on('session', (accept) => {
      const session = accept();
      const started = (ch: ServerChannel): void => {
        ch.on('data', () => undefined);
        // The client's EOF ends the command, as `cat` would.
        ch.on('end', () => { ch.exit(0); ch.end(); });
      };
      session.on('pty', (ok) => ok());
      session.on('env', (ok) => ok());
      session.on('exec', (ok) => started(ok()));
      session.on('shell', (ok) => started(ok()));
    });
  });
}

const server = new ssh2.Server({ hostKeys: [readFileSync(cfg.hostKeyPath)] }, serve);
server.listen(0, '127.0.0.1', () => {
  serveBenchIpc((server.address() as AddressInfo).port, async () => {
    for (const c of open) c.end();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
