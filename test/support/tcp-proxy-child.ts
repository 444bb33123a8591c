/**
 * A plain TCP relay, run as its own process by {@link startTcpProxy} so that
 * SIGSTOP freezes it: connections are still accepted by the kernel (listen
 * backlog) but nothing is answered — a database that hangs.
 * Usage: tcp-proxy-child.ts TARGET_HOST TARGET_PORT; prints `port=N` when listening.
 */
import { connect, createServer, type Socket } from 'node:net';

const [host, port] = [process.argv[2] ?? '127.0.0.1', Number(process.argv[3])];

const server = createServer((client: Socket) => {
  const upstream = connect(port, host);
  const end = (): void => { client.destroy(); upstream.destroy(); };
  client.on('error', end).on('close', end);
  upstream.on('error', end).on('close', end);
  client.pipe(upstream);
  upstream.pipe(client);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') process.stdout.write(`port=${addr.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
