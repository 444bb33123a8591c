/**
 * The least a relayed login can cost with ssh2 (issue 13: "portal CPU per
 * login"): an ssh2 server that checks the user's key signature against one
 * key and, for each exec request, dials the target with an ssh2 client
 * (publickey), runs the command there (on a terminal when the client asked
 * for one) and relays its output and exit status.
 * No database, ACL, audit, recording or limits: what is left is ssh2's two
 * transports (both key exchanges, both authentications, the channels). The
 * same ssh2 tweaks as the portal (padding pool, host-key announcements
 * dropped, key objects made once). In its own process, IPC as child.ts.
 */
import '../lib/ssh/padding-pool.js';
import '../lib/ssh/kex-keys.js';
import '../lib/ssh/host-key-announcements.js';
import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import type { AuthContext, ClientChannel, PseudoTtyOptions, PublicKeyAuthMethod, ServerChannel } from 'ssh2';
import { parseSigningKey, parsePublicKeyBlob } from '../lib/ssh/signing-keys.js';
import { sharedPrivateKey } from '../lib/proxy/shared-keys.js';
import type { TestKey } from '../test/support/keys.js';
import { serveBenchIpc } from './child.js';

interface FloorConfig {
  hostKey: string;
  userPublicKey: string;
  portalKey: TestKey;
  target: { host: string; port: number; user: string };
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as FloorConfig;
const userBlob = Buffer.from(cfg.userPublicKey.split(' ')[1] ?? '', 'base64');
const method: PublicKeyAuthMethod = { type: 'publickey', username: cfg.target.user, key: sharedPrivateKey(cfg.portalKey.privateKey, undefined) };

function relay(command: string, channel: ServerChannel, pty: PseudoTtyOptions | undefined): void {
  const client = new ssh2.Client();
  track(client);
  client.on('error', (err) => { process.stderr.write(`floor: upstream ${err.message}\n`); channel.close(); });
  client.once('ready', () => {
    client.exec(command, pty ? { pty } : {}, (err: Error | undefined, up: ClientChannel) => {
      if (err) { channel.close(); client.end(); return; }
      let code: number | undefined;
      up.pipe(channel, { end: false });
      up.stderr.pipe(channel.stderr, { end: false });
      channel.pipe(up);
      up.once('exit', (c: unknown) => { if (typeof c === 'number') code = c; });
      up.once('close', () => {
        if (code !== undefined) channel.exit(code);
        channel.end();
        channel.close();
        client.end();
      });
    });
  });
  client.connect({ host: cfg.target.host, port: cfg.target.port, username: cfg.target.user, authHandler: [method], hostVerifier: () => true });
}

/**
 * Open connections, both sides: stopping ends them (server.close() waits for
 * every client to go, and a target session on a terminal outlives its client).
 */
const open = new Set<{ end(): unknown; once(event: 'close', f: () => void): unknown }>();

function track(c: { end(): unknown; once(event: 'close', f: () => void): unknown }): void {
  open.add(c);
  c.once('close', () => open.delete(c));
}
const server = new ssh2.Server({ hostKeys: [{ key: parseSigningKey(cfg.hostKey) }] }, (conn) => {
  track(conn);
  conn.on('error', () => undefined);
  conn.on('authentication', (ctx: AuthContext) => {
    if (ctx.method !== 'publickey' || ctx.key.data.length !== userBlob.length || !timingSafeEqual(ctx.key.data, userBlob)) { ctx.reject(['publickey']); return; }
    if (!ctx.signature || !ctx.blob) { ctx.accept(); return; }
    if (parsePublicKeyBlob(ctx.key.data)?.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) ctx.accept();
    else ctx.reject(['publickey']);
  });
  conn.on('session', (accept) => {
    const session = accept();
    // A terminal (`ssh -tt`, the keystroke benchmark) is asked for on the target as the client asked for it.
    let pty: PseudoTtyOptions | undefined;
    session.on('pty', (acc, _rej, info) => { pty = { rows: info.rows, cols: info.cols, height: info.height, width: info.width, term: info.term, modes: info.modes }; acc(); });
    session.on('exec', (acc, _rej, info) => relay(info.command, acc(), pty));
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  serveBenchIpc(typeof address === 'object' && address !== null ? address.port : 0, () => new Promise((resolve) => {
    server.close(() => resolve());
    for (const conn of open) conn.end();
  }));
});
