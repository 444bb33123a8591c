/**
 * An ssh2 client written as an attacker (channels and channel requests; see
 * attack-client.ts for socket-level attacks): it authenticates like a real client,
 * then sends raw channel opens and channel requests the public API would
 * never send in that order (sessions never started, thousands of `env`
 * requests, open-close loops), pacing itself on its own socket so the
 * memory measured is the portal's, not the attacker's send buffer.
 */
import ssh2 from 'ssh2';
import type { Channel, Client } from 'ssh2';

type ReplyCallback = (failed: boolean) => void;
interface RawChannel extends Channel { outgoing: { id: number }; _callbacks: ReplyCallback[] }
type OpenCallback = ((err: Error | undefined, ch?: Channel) => void) & { type?: string };
interface ClientInternals {
  _chanMgr: { add(cb: OpenCallback): number };
  _protocol: {
    session(chan: number, window: number, packet: number): void;
    env(chan: number, key: string, value: string, wantReply: boolean): void;
  };
  _sock: { writableLength: number; once(ev: 'drain', fn: () => void): void; destroyed: boolean };
}

/** A connected attacker. */
export interface Attacker {
  client: Client;
  /** Resolves once the portal closed the connection (or it failed). */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Opens a session channel without starting it: the channel, or the open failure. */
  openSession(): Promise<Channel | Error>;
  /** Sends one `env` request; with `wantReply`, resolves true when the portal accepted it. */
  env(ch: Channel, key: string, value: string, wantReply: boolean): Promise<boolean | undefined>;
  /** Waits until the attacker's own socket buffer is below 1 MiB. */
  paced(): Promise<void>;
  end(): void;
}

function raw(client: Client): ClientInternals {
  return client as unknown as ClientInternals;
}

/** Connects and authenticates (`privateKey` null: the `none` method, for the healthcheck login). */
export function connectChannelAttacker(port: number, username: string, privateKey: string | null): Promise<Attacker> {
  const client = new ssh2.Client();
  let isClosed = false;
  const closed = new Promise<void>((resolve) => client.once('close', () => { isClosed = true; resolve(); }));
  client.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(attacker(client, closed, () => isClosed)));
    client.once('error', reject);
    client.connect({
      host: '127.0.0.1', port, username, privateKey: privateKey ?? undefined, tryKeyboard: false, readyTimeout: 20_000,
      hostVerifier: () => true,
    });
  });
}

function attacker(client: Client, closed: Promise<void>, isClosed: () => boolean): Attacker {
  const c = raw(client);
  return {
    client, closed, isClosed,
    openSession: () => new Promise((resolve) => {
      if (isClosed()) { resolve(new Error('connection closed')); return; }
      const cb: OpenCallback = (err, ch) => resolve(err ?? ch ?? new Error('no channel'));
      cb.type = 'session';
      const local = c._chanMgr.add(cb);
      if (local === -1) { resolve(new Error('no free channel ids')); return; }
      c._protocol.session(local, 2 * 1024 * 1024, 32 * 1024);
    }),
    env: (ch, key, value, wantReply) => {
      if (isClosed()) return Promise.resolve(false);
      const rc = ch as RawChannel;
      if (!wantReply) { c._protocol.env(rc.outgoing.id, key, value, false); return Promise.resolve(undefined); }
      return new Promise((resolve) => {
        rc._callbacks.push((failed) => resolve(!failed));
        c._protocol.env(rc.outgoing.id, key, value, true);
        void closed.then(() => resolve(false));
      });
    },
    paced: () => new Promise((resolve) => {
      if (c._sock.destroyed || c._sock.writableLength < 1024 * 1024) { resolve(); return; }
      c._sock.once('drain', () => resolve());
      void closed.then(() => resolve());
    }),
    end: () => client.end(),
  };
}

/** Samples this process's RSS every 100 ms; `stop()` returns the peak in bytes. */
export function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  return { stop: () => { clearInterval(timer); return Math.max(peak, process.memoryUsage().rss); } };
}
