/**
 * Opens the upstream counterpart of a downstream session channel: exec, shell
 * or subsystem, carrying the pty, env, X11 and agent requests collected
 * before the session started.
 */
import type { Client, ClientChannel, ExecOptions, PseudoTtyInfo, PseudoTtyOptions, ShellOptions, X11Info } from 'ssh2';
import type { ExitInfo } from '../ssh/exit.js';

/** What a session asks for before it starts. */
export interface SessionSetup {
  pty?: PseudoTtyInfo;
  env: Record<string, string>;
  x11?: X11Info;
  agent: boolean;
}

/** The request that starts a session. */
export type SessionStart =
  | { kind: 'shell' }
  | { kind: 'exec'; command: string }
  | { kind: 'subsystem'; name: string };

type WithAgent<T> = T & { agentForward?: boolean };

function ptyOptions(p: PseudoTtyInfo): PseudoTtyOptions {
  return { rows: p.rows, cols: p.cols, width: p.width, height: p.height, term: p.term, modes: p.modes };
}

/**
 * The X11 cookie exactly as the client sent it. ssh2's server hands it over
 * as a Buffer of the hex text (its typings say string); passing that Buffer
 * on would hex-encode it a second time.
 */
export function x11Cookie(cookie: unknown): string | undefined {
  if (typeof cookie === 'string') return cookie;
  if (Buffer.isBuffer(cookie)) return cookie.toString('latin1');
  return undefined;
}

function options(setup: SessionSetup): WithAgent<ShellOptions> {
  const o: WithAgent<ShellOptions> = {};
  if (Object.keys(setup.env).length > 0) o.env = { ...setup.env };
  if (setup.x11) o.x11 = { single: setup.x11.single, screen: setup.x11.screen, protocol: setup.x11.protocol, cookie: x11Cookie(setup.x11.cookie) };
  if (setup.agent) o.agentForward = true;
  return o;
}


/** An opened upstream channel and its exit, recorded from the first moment. */
export interface UpstreamSession {
  channel: ClientChannel;
  /** The exit status or signal, once the target sent it. */
  exit(): ExitInfo | undefined;
}

/** What ssh2 records of a channel's exit (`code` undefined until the target sent one), since its first moment. */
interface ExitRecord { _exit?: { code?: number | null; signal?: string; dump?: boolean; desc?: string } }

/**
 * An opened upstream channel; its exit is read from what ssh2 records on the
 * channel (exit-status or exit-signal, the first one, as ssh2 emits 'exit'),
 * not from a listener and closures per session (issue 13).
 */
class OpenedUpstream implements OpenedSession {
  readonly channel: ClientChannel;
  pty = false;
  warning?: string;

  constructor(channel: ClientChannel) {
    this.channel = channel;
  }

  exit(): ExitInfo | undefined {
    const e = (this.channel as unknown as ExitRecord)._exit;
    if (e?.code === undefined) return undefined;
    return { code: e.code, signal: e.signal, dump: e.dump, desc: e.desc };
  }
}

function openOnce(client: Client, start: SessionStart, setup: SessionSetup): Promise<OpenedUpstream> {
  return new Promise((resolve, reject) => {
    const cb = (err: Error | undefined, channel: ClientChannel): void => {
      if (err) { reject(err); return; }
      resolve(new OpenedUpstream(channel));
    };
    try {
      switch (start.kind) {
        case 'shell':
          client.shell(setup.pty ? ptyOptions(setup.pty) : false, options(setup), cb);
          break;
        case 'exec': {
          const o: WithAgent<ExecOptions> = options(setup);
          if (setup.pty) o.pty = ptyOptions(setup.pty);
          client.exec(start.command, o, cb);
          break;
        }
        case 'subsystem':
          client.subsys(start.name, cb);
          break;
        default: {
          const never: never = start;
          reject(new Error(`unknown session start ${JSON.stringify(never)}`));
        }
      }
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Result of {@link openUpstreamSession}. */
export interface OpenedSession extends UpstreamSession {
  /** Set when optional requests (PTY, X11, agent) had to be dropped because the target refused them. */
  warning?: string;
  /** Whether the upstream channel has a PTY. */
  pty: boolean;
}

/**
 * Opens the upstream channel. ssh2 fails the whole channel when the target
 * refuses a PTY, X11 or agent forwarding; OpenSSH only warns and goes on, so
 * we retry once without them and return a warning.
 */
export async function openUpstreamSession(client: Client, start: SessionStart, setup: SessionSetup): Promise<OpenedSession> {
  const wantsPty = setup.pty !== undefined && start.kind !== 'subsystem';
  try {
    const opened = await openOnce(client, start, setup);
    opened.pty = wantsPty;
    return opened;
  } catch (err) {
    const optional = [wantsPty ? 'PTY allocation' : undefined, setup.x11 ? 'X11 forwarding' : undefined, setup.agent ? 'agent forwarding' : undefined]
      .filter((x) => x !== undefined);
    if (optional.length === 0 || start.kind === 'subsystem') throw err;
    const opened = await openOnce(client, start, { env: setup.env, agent: false });
    opened.warning = `the target refused ${optional.join(' or ')}`;
    return opened;
  }
}
