import { expect } from 'chai';
import type { ServerChannel } from 'ssh2';
import { applyPendingWriteFixes, retryStderrOnAdjust } from '../../../lib/ssh/pending-writes.js';
import { applyTransportBackpressure } from '../../../lib/ssh/transport-backpressure.js';
import { withSsh2Pair } from '../../support/ssh2-pair.js';

/** More than the client's 2 MiB window: every such write waits for a window adjust. */
const SIZE = 3 * 1024 * 1024;

/** What the client received of a command, and how often each server write's callback ran. */
interface Outcome { stdout: Buffer; stderr: Buffer; stdoutCalls: number; stderrCalls: number }

/**
 * A real ssh2 server (the portal's side of a user's channel, with the fixes as
 * the portal applies them) and a real ssh2 client reading everything. `send`
 * writes on the server channel and calls `count` from each write's callback.
 */
function run(send: (ch: ServerChannel, count: (stream: 'stdout' | 'stderr') => void) => Promise<void>): Promise<Outcome> {
  const calls = { stdout: 0, stderr: 0 };
  return withSsh2Pair({
    onConnection: retryStderrOnAdjust,
    serve(ch) { void send(ch, (stream) => { calls[stream]++; }).then(() => { ch.exit(0); ch.end(); }); },
  }, (ch) => new Promise<Outcome>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the command did not finish within 10 s')), 10_000);
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    ch.on('data', (d: Buffer) => out.push(d));
    ch.stderr.on('data', (d: Buffer) => errOut.push(d));
    ch.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), stdoutCalls: calls.stdout, stderrCalls: calls.stderr });
    });
  }));
}

/** Resolves once `w` called back for `data` (and counts the call). */
function written(w: { write(data: Buffer, cb: () => void): unknown }, data: Buffer, count: () => void): Promise<void> {
  return new Promise((resolve) => { w.write(data, () => { count(); resolve(); }); });
}

describe('ssh/pending-writes: writes that waited for window are resumed once each, stdout and stderr alike', function () {
  this.timeout(20_000);
  before(() => {
    expect(applyTransportBackpressure(), 'transport backpressure').to.equal(true);
    expect(applyPendingWriteFixes(), 'pending-write fixes').to.equal(true);
  });

  it('stdout that waited, then stderr that waits: each arrives once, whole (ssh2 sent the old stdout again and lost stderr)', async () => {
    const o = await run(async (ch, count) => {
      await written(ch, Buffer.alloc(SIZE, 0x4f), () => count('stdout'));
      await written(ch.stderr, Buffer.alloc(SIZE, 0x45), () => count('stderr'));
    });
    expect([o.stdout.length, o.stderr.length, o.stdoutCalls, o.stderrCalls]).to.deep.equal([SIZE, SIZE, 1, 1]);
    expect(o.stdout.every((b) => b === 0x4f) && o.stderr.every((b) => b === 0x45)).to.equal(true);
  });

  it('stdout and stderr waiting at once: both arrive whole (ssh2 resumed stdout only)', async () => {
    const o = await run(async (ch, count) => {
      await Promise.all([
        written(ch, Buffer.alloc(SIZE, 0x4f), () => count('stdout')),
        written(ch.stderr, Buffer.alloc(SIZE, 0x45), () => count('stderr')),
      ]);
    });
    expect([o.stdout.length, o.stderr.length, o.stdoutCalls, o.stderrCalls]).to.deep.equal([SIZE, SIZE, 1, 1]);
  });

  it('many small writes on both streams, interleaved, past the window several times: all arrive in order', async () => {
    const chunk = 32 * 1024;
    const rounds = 200;
    const o = await run(async (ch, count) => {
      const pending: Promise<void>[] = [];
      for (let i = 0; i < rounds; i++) {
        pending.push(written(ch, Buffer.alloc(chunk, i % 251), () => count('stdout')));
        pending.push(written(ch.stderr, Buffer.alloc(chunk, (i * 7) % 251), () => count('stderr')));
      }
      await Promise.all(pending);
    });
    expect([o.stdout.length, o.stderr.length, o.stdoutCalls, o.stderrCalls]).to.deep.equal([chunk * rounds, chunk * rounds, rounds, rounds]);
    for (let i = 0; i < rounds; i++) {
      expect(o.stdout[i * chunk], `stdout chunk ${i}`).to.equal(i % 251);
      expect(o.stderr[i * chunk], `stderr chunk ${i}`).to.equal((i * 7) % 251);
    }
  });
});
