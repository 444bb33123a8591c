/**
 * An ssh2 client written as a peer that never lets go: it ignores the
 * portal's DISCONNECT, keeps its half of the socket open after the portal's
 * FIN (it never sends one back) and keeps sending keepalives. Only for tests.
 */
import { connectAttacker, type AttackClient } from './attack-client.js';

/** The parts of ssh2's protocol object this peer bends. */
interface ProtocolInternals {
  _handlers?: Record<string, unknown>;
  _cipher?: { _onWrite?: (data: Buffer) => void };
  ping(): void;
}

/** A connected deaf peer. */
export interface DeafPeer extends AttackClient {
  /** Whether the portal's FIN arrived (the peer kept its own half open). */
  finSeen(): boolean;
  /** Keepalives sent so far. */
  pings(): number;
}

/** Connects and authenticates as `username` with `privateKey`, then turns deaf; a keepalive every `pingMs`. */
export async function connectDeafPeer(port: number, username: string, privateKey: string, pingMs = 100): Promise<DeafPeer> {
  const { client, sock, closed } = await connectAttacker(port, username, privateKey, true);
  const proto = (client as unknown as { _protocol?: ProtocolInternals })._protocol;
  const cipher = proto?._cipher;
  if (!proto?._handlers || !cipher || typeof proto.ping !== 'function') throw new Error('ssh2 internals changed: no _protocol handlers, cipher or ping');
  proto._handlers.DISCONNECT = () => undefined;
  // ssh2 stops writing once the socket's readable side ended (the portal's FIN): this peer goes on.
  cipher._onWrite = (data) => { if (!sock.destroyed) sock.write(data); };
  // ssh2 tears its protocol down at that FIN: this peer only notes it.
  let fin = false;
  sock.removeAllListeners('end');
  sock.on('end', () => { fin = true; });
  let pings = 0;
  const timer = setInterval(() => {
    try {
      proto.ping();
      pings++;
    } catch {
      clearInterval(timer);
    }
  }, pingMs);
  sock.once('close', () => clearInterval(timer));
  return { client, sock, closed, finSeen: () => fin, pings: () => pings };
}
