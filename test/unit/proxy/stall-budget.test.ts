import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { createLogger } from '../../../lib/log.js';
import { pump, type Held } from '../../../lib/ssh/pump.js';
import { maxCutEvents, StallLedger, type Cuttable } from '../../../lib/proxy/stall-budget.js';
import type { StallLimits } from '../../../lib/proxy/stall-decision.js';

const MiB = 1024 * 1024;
/** A fake pump the test moves by hand. */
interface Pumped { heldBytes: number; movedBytes: number; waiting: boolean }

const limits: StallLimits = { perUserBytes: 10 * MiB, perNodeBytes: 25 * MiB, minStallMs: 10_000, graceMs: 5_000, sweepMs: 1_000 };

describe('proxy/stall-budget', () => {
  it('the ledger watches a pump from its first wait, cuts through the owner and ends connections that keep a cut channel', () => {
    let now = 0;
    const counted: string[] = [];
    const ledger = new StallLedger({ log: createLogger({ level: 'error' }), now: () => now, limits, metrics: { stallCut: (what, n) => counted.push(`${what} ${String(n)}`) } });
    const dropped: string[] = [];
    const a = ledger.account('user:1', (reason) => dropped.push(reason));
    const cuts: { held: number; stalledMs: number; audited: boolean }[] = [];
    const owner: Cuttable = { cut: (held, stalledMs, audited) => cuts.push({ held, stalledMs, audited }) };
    const p0: Pumped = { heldBytes: 7 * MiB, movedBytes: 0, waiting: true };
    const p1: Pumped = { heldBytes: 5 * MiB, movedBytes: 0, waiting: true };
    a.stalled(p0, owner);
    now = 4_000;
    a.stalled(p1, owner);
    a.stalled(p1, owner);
    expect(ledger.stalledOwners).to.equal(1);
    // A reader that takes a little now and then: 300 KiB a second does not turn 12 MiB over.
    for (now = 5_000; now < 10_000; now += 1_000) {
      p0.movedBytes += 300 * 1024;
      p0.waiting = !p0.waiting;
      ledger.sweep();
    }
    expect(cuts, 'stalled 9 s: not yet').to.deep.equal([]);
    now = 10_000;
    ledger.sweep();
    expect(cuts, 'one owner: its pumps summed, stalled since it was first watched').to.deep.equal([{ held: 12 * MiB, stalledMs: 10_000, audited: true }]);
    p0.waiting = false;
    p0.heldBytes = 0;
    p1.waiting = false;
    now = 14_000;
    ledger.sweep();
    expect(cuts.length, 'not cut twice').to.equal(1);
    expect(ledger.stalledOwners, 'a cut owner stays watched while it moves (its close is what counts)').to.equal(1);
    expect(dropped).to.deep.equal([]);
    now = 15_000;
    ledger.sweep();
    expect(dropped.length, 'still open 5 s after the cut: the connection goes').to.equal(1);
    expect(ledger.stalledOwners, 'a dropped connection forgets its stalls').to.equal(0);
    expect(counted, 'the metric').to.deep.equal(['channel 1', 'connection 1']);
    ledger.close();
  });

  it('a channel that turns its backlog over is never cut, however long it stays busy; a drained one is no longer watched', () => {
    let now = 0;
    const ledger = new StallLedger({ log: createLogger({ level: 'error' }), now: () => now, limits });
    const b = ledger.account('user:2', () => undefined);
    let cuts = 0;
    const owner: Cuttable = { cut: () => { cuts++; } };
    const p: Pumped = { heldBytes: 12 * MiB, movedBytes: 0, waiting: true };
    b.stalled(p, owner);
    // A slow transfer: 3 MiB a second, 12 MiB held: it turns over every 4 s.
    for (now = 1_000; now <= 60_000; now += 1_000) {
      p.movedBytes += 3 * MiB;
      ledger.sweep();
    }
    expect(cuts, 'cuts of a channel that moves its backlog').to.equal(0);
    p.waiting = false;
    p.heldBytes = 1024;
    ledger.sweep();
    expect(ledger.stalledOwners, 'drained').to.equal(0);
    b.stalled(p, owner);
    b.forget(owner);
    expect(ledger.stalledOwners, 'a closed owner is forgotten').to.equal(0);
    b.close();
    b.stalled(p, owner);
    expect(ledger.stalledOwners, 'a closed account takes nothing').to.equal(0);
    ledger.close();
  });

  it(`a connection writes its first ${maxCutEvents} cuts to the audit trail, not more`, () => {
    let now = 0;
    const ledger = new StallLedger({ log: createLogger({ level: 'error' }), now: () => now, limits: { ...limits, perUserBytes: 0 } });
    const a = ledger.account('user:3', () => undefined);
    const audited: boolean[] = [];
    for (let i = 0; i < maxCutEvents + 5; i++) a.stalled({ heldBytes: 1, movedBytes: 0, waiting: true }, { cut: (_h, _ms, yes) => audited.push(yes) });
    now = 20_000;
    ledger.sweep();
    expect(audited.length).to.equal(maxCutEvents + 5);
    expect(audited.filter(Boolean).length).to.equal(maxCutEvents);
    ledger.close();
  });

  it('a pump reports itself when it waits for its destination, with what it holds and moved; not once that destination ended', async () => {
    const src = new PassThrough();
    let release: (() => void) | undefined;
    const dst = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => { release = cb; } });
    const seen: { held: number; moved: number; waiting: boolean }[] = [];
    let pumpOf: Held | undefined;
    pump(src, dst, undefined, undefined, { stalled: (p) => { pumpOf = p; seen.push({ held: p.heldBytes, moved: p.movedBytes, waiting: p.waiting }); } });
    src.write(Buffer.from('12345678'));
    await new Promise((r) => setImmediate(r));
    expect(seen).to.deep.equal([{ held: 8, moved: 8, waiting: true }]);
    release?.();
    await new Promise((r) => setImmediate(r));
    expect(pumpOf?.waiting, 'drained: moving again').to.equal(false);

    const src2 = new PassThrough();
    const ended = new Writable({ highWaterMark: 4, write: (_c, _e, cb) => cb() });
    ended.on('error', () => undefined);
    let reports = 0;
    pump(src2, ended, undefined, undefined, { stalled: () => { reports++; } });
    ended.end();
    src2.write(Buffer.from('12345678'));
    await new Promise((r) => setImmediate(r));
    expect(reports, 'a closed destination is not a reader that stopped').to.equal(0);
  });
});
