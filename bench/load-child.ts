/**
 * A load generator in its own process (so that thousands of ssh2 clients do
 * not slow the orchestrator that times the portal): opens relayed sessions
 * through the portal, each one exec channel that stays open, and counts what
 * went wrong. Driven by bench/load.ts over IPC.
 */
import ssh2 from 'ssh2';
import type { Client } from 'ssh2';
import type { LoadRequest, LoadStatus, LoadUser } from './load.js';

let failed = 0;
let lost = 0;
let firstError: string | null = null;
let stopping = false;
const open = new Set<Client>();

function noteError(what: string): void {
  firstError ??= what;
}

/** Opens one session; resolves true once its channel is open, false (counted) on any failure. */
function openOne(port: number, user: LoadUser, command: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    let settled = false;
    const settle = (ok: boolean, why?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!ok) {
        failed++;
        noteError(why ?? 'unknown');
        c.end();
      }
      resolve(ok);
    };
    const timer = setTimeout(() => settle(false, `no open channel within ${timeoutMs} ms`), timeoutMs);
    c.on('error', (err: Error) => {
      if (!settled) return settle(false, err.message);
      if (!stopping) noteError(`after open: ${err.message}`);
    });
    c.once('close', () => {
      open.delete(c);
      if (!settled) return settle(false, 'connection closed before the channel opened');
      if (!stopping) { lost++; noteError('an open session was closed by the portal'); }
    });
    c.once('ready', () => {
      c.exec(command, (err, ch) => {
        if (err) return settle(false, `exec: ${err.message}`);
        ch.on('data', () => undefined);
        ch.stderr.on('data', () => undefined);
        open.add(c);
        settle(true);
      });
    });
    c.connect({ host: '127.0.0.1', port, username: user.login, privateKey: user.privateKey, readyTimeout: timeoutMs });
  });
}

async function openMany(r: LoadRequest): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < r.n) {
      const i = next++;
      await openOne(r.port, r.users[i % r.users.length], r.command, r.timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(r.concurrency, r.n) }, worker));
}

const status = (): LoadStatus => ({ open: open.size, failed, lost, firstError });

process.on('message', (m: unknown) => {
  if (typeof m !== 'object' || m === null) return;
  if ('open' in m) {
    void openMany((m as { open: LoadRequest }).open).then(() => process.send?.({ opened: status() }));
  } else if ('status' in m) {
    process.send?.({ status: status() });
  } else if ('stop' in m) {
    stopping = true;
    const closed = [...open].map((c) => new Promise<void>((r) => { c.once('close', () => r()); c.end(); }));
    void Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 10_000))]).then(() => process.exit(0));
  }
});
// The parent is gone: nothing will ever ask this process to stop.
process.once('disconnect', () => process.exit(1));
process.send?.({ ready: true });
