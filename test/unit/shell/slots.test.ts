import { expect } from 'chai';
import { Slots, type SlotTaken } from '../../../lib/shell/slots.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Whether `p` settled within a turn of the event loop, and with what. */
async function settled<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, turn().then(() => 'pending' as const)]);
}

describe('shell: slots (how many run at once, how many wait)', () => {
  const cases: { name: string; running: number; waiting: number; takes: number; expected: ('taken' | 'waits' | 'full')[] }[] = [
    { name: 'free slots are taken at once', running: 2, waiting: 0, takes: 2, expected: ['taken', 'taken'] },
    { name: 'past the slots, takers wait in line', running: 1, waiting: 2, takes: 3, expected: ['taken', 'waits', 'waits'] },
    { name: 'past the line, takers are refused', running: 1, waiting: 1, takes: 4, expected: ['taken', 'waits', 'full', 'full'] },
    { name: 'no line at all', running: 1, waiting: 0, takes: 2, expected: ['taken', 'full'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const slots = new Slots({ running: c.running, waiting: c.waiting });
      const got: string[] = [];
      const held: SlotTaken[] = [];
      for (let i = 0; i < c.takes; i++) {
        const r = await settled(slots.take(() => false));
        if (r === 'pending') got.push('waits');
        else if (r.taken) { got.push('taken'); held.push(r); }
        else got.push(r.why);
      }
      expect(got).to.deep.equal(c.expected);
      expect([slots.held, slots.waiting]).to.deep.equal([c.expected.filter((x) => x === 'taken').length, c.expected.filter((x) => x === 'waits').length]);
      for (const h of held) if (h.taken) h.release();
    });
  }

  it('hands a released slot to the first waiter, then the next; a second release does nothing', async () => {
    const slots = new Slots({ running: 1, waiting: 5 });
    const first = await slots.take(() => false);
    const order: number[] = [];
    const second = slots.take(() => false).then((r) => { order.push(2); return r; });
    const third = slots.take(() => false).then((r) => { order.push(3); return r; });
    await turn();
    expect(order).to.deep.equal([]);
    if (!first.taken) throw new Error('no slot');
    first.release();
    first.release();
    const s = await second;
    await turn();
    expect(order).to.deep.equal([2]);
    expect([slots.held, slots.waiting]).to.deep.equal([1, 1]);
    if (s.taken) s.release();
    const t = await third;
    expect(order).to.deep.equal([2, 3]);
    if (t.taken) t.release();
    expect([slots.held, slots.waiting]).to.deep.equal([0, 0]);
  });

  it('says how many wait ahead as a taker joins the line', async () => {
    const slots = new Slots({ running: 1, waiting: 5 });
    const first = await slots.take(() => false);
    const ahead: number[] = [];
    const waiters = [slots.take(() => false, (n) => ahead.push(n)), slots.take(() => false, (n) => ahead.push(n))];
    expect(ahead).to.deep.equal([0, 1]);
    if (first.taken) first.release();
    for (const w of waiters) { const r = await w; if (r.taken) r.release(); }
  });

  it('lets a waiter whose client left go: it leaves the line, and the next one gets the slot', async () => {
    const slots = new Slots({ running: 1, waiting: 1 }, 5);
    const first = await slots.take(() => false);
    let left = false;
    const leaving = slots.take(() => left);
    expect(await settled(slots.take(() => false))).to.deep.equal({ taken: false, why: 'full' });
    left = true;
    expect(await leaving).to.deep.equal({ taken: false, why: 'gone' });
    expect(slots.waiting).to.equal(0);
    const next = slots.take(() => false);
    if (first.taken) first.release();
    const r = await next;
    expect(r.taken).to.equal(true);
    if (r.taken) r.release();
    expect(slots.held).to.equal(0);
  });
});
