import { expect } from 'chai';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { silentLogger } from '../../../lib/log.js';
import { abortable } from '../../../lib/proxy/dial-chain.js';
import { dialChain } from '../../../lib/proxy/dial.js';
import type { HopTarget, OpenedSocket } from '../../../lib/proxy/types.js';
import { silentHop } from '../../support/silent-hop.js';
import { closedWithin, waitFor } from '../../support/wait.js';

function hop(name: string, port: number, open?: () => Promise<OpenedSocket>): HopTarget {
  return { name, host: '127.0.0.1', port, username: 'u', password: 'p', verifyHostKey: () => Promise.resolve(), ...(open ? { open } : {}) };
}

/** What `p` did within `ms` ('pending' if nothing). */
async function within<T>(p: Promise<T>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then((v) => `resolved ${String(v)}`, (err: unknown) => `rejected ${err instanceof Error ? err.message : String(err)}`),
      new Promise<string>((r) => { timer = setTimeout(() => r('pending'), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('proxy: dialing gives up at once when its signal aborts', () => {
  describe('abortable', () => {
    /** What happens: the step's outcome and when, the abort's moment; what the caller sees and what is discarded. */
    const cases: { name: string; step: 'resolve' | 'reject'; stepAt: number; abortAt: number | 'before' | 'never'; sees: string; discarded: string[] }[] = [
      { name: 'a step done before the abort is kept', step: 'resolve', stepAt: 0, abortAt: 20, sees: 'resolved v', discarded: [] },
      { name: 'a step that fails before the abort fails with its reason', step: 'reject', stepAt: 0, abortAt: 20, sees: 'rejected boom', discarded: [] },
      { name: 'an abort first gives up; the late result is discarded', step: 'resolve', stepAt: 20, abortAt: 0, sees: 'rejected connection closed', discarded: ['v'] },
      { name: 'an abort first gives up; a late failure is swallowed', step: 'reject', stepAt: 20, abortAt: 0, sees: 'rejected connection closed', discarded: [] },
      { name: 'an abort before the call gives up at once; the result is discarded', step: 'resolve', stepAt: 20, abortAt: 'before', sees: 'rejected connection closed', discarded: ['v'] },
      { name: 'no abort: the step as it is', step: 'resolve', stepAt: 0, abortAt: 'never', sees: 'resolved v', discarded: [] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const ac = new AbortController();
        const discarded: string[] = [];
        const step = new Promise<string>((resolve, reject) => setTimeout(() => (c.step === 'resolve' ? resolve('v') : reject(new Error('boom'))), c.stepAt));
        if (c.abortAt === 'before') ac.abort();
        else if (c.abortAt !== 'never') setTimeout(() => ac.abort(), c.abortAt);
        const seen = await within(abortable(step, ac.signal, (late) => discarded.push(late)), 200);
        await new Promise((r) => setTimeout(r, 50));
        expect(seen).to.equal(c.sees);
        expect(discarded).to.deep.equal(c.discarded);
      });
    }
  });

  it('a first hop that never answers the channel open for the next: rejected and the first hop\'s connection closed within 1 s', async () => {
    const jump = await silentHop();
    try {
      const ac = new AbortController();
      const dial = dialChain([hop('jump', jump.port), hop('target', 1)], { log: silentLogger, signal: ac.signal });
      await waitFor(() => jump.asked() === 1, 10_000, 'the jump host to be asked for the channel');
      const t0 = Date.now();
      ac.abort();
      expect(await within(dial, 1_000)).to.equal('rejected connection closed');
      const closedMs = await closedWithin(jump.sockets[0], 1_000 - (Date.now() - t0));
      expect(closedMs, 'the jump host\'s connection closed').to.not.equal(null);
    } finally {
      jump.close();
    }
  });

  it('a connector that never opens its stream: rejected within 1 s; a stream opened after the abort is destroyed', async () => {
    let opened: (o: OpenedSocket) => void = () => undefined;
    let asked = false;
    const open = (): Promise<OpenedSocket> => new Promise((resolve) => { asked = true; opened = resolve; });
    const ac = new AbortController();
    const dial = dialChain([hop('tunnelled', 1, open)], { log: silentLogger, signal: ac.signal });
    await waitFor(() => asked, 2_000, 'the stream to be asked for');
    ac.abort();
    expect(await within(dial, 1_000)).to.equal('rejected connection closed');
    const late = new PassThrough();
    opened({ stream: late, lost: () => undefined });
    await waitFor(() => late.destroyed, 1_000, 'the late stream to be destroyed');
  });

  it('a connector\'s stream, then a jump host that never answers: everything closed within 1 s', async () => {
    const jump = await silentHop();
    try {
      let stream: Socket | undefined;
      const open = (): Promise<OpenedSocket> => {
        stream = connect(jump.port, '127.0.0.1');
        stream.on('error', () => undefined);
        return once(stream, 'connect').then(() => ({ stream: stream as Socket, lost: () => undefined }));
      };
      const ac = new AbortController();
      const dial = dialChain([hop('jump', jump.port, open), hop('target', 1)], { log: silentLogger, signal: ac.signal });
      await waitFor(() => jump.asked() === 1, 10_000, 'the jump host to be asked for the channel');
      const t0 = Date.now();
      ac.abort();
      expect(await within(dial, 1_000)).to.equal('rejected connection closed');
      expect(await closedWithin(jump.sockets[0], 1_000 - (Date.now() - t0)), 'the jump host\'s connection closed').to.not.equal(null);
    } finally {
      jump.close();
    }
  });
});
