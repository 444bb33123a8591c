import { expect } from 'chai';
import { mapPaced, TURN_MS } from '../../lib/paced-map.js';

/** A conversion that takes `ms` of CPU. */
const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
};

describe('paced map (many rows converted without holding the event loop)', () => {
  it('converts every row, in order', async () => {
    expect(await mapPaced([1, 2, 3], (x) => x * 2)).to.deep.equal([2, 4, 6]);
    expect(await mapPaced([], (x: number) => x)).to.deep.equal([]);
  });

  it(`lets the event loop run about every ${TURN_MS} ms of conversion`, async () => {
    let turns = 0;
    let running = true;
    const other = (): void => { turns++; if (running) setImmediate(other); };
    setImmediate(other);
    await mapPaced(Array.from({ length: 20 }, (_, i) => i), () => busy(3));
    running = false;
    // 60 ms of conversion: about six pauses, each one turn for the other work.
    expect(turns).to.be.at.least(4);
  });

  it('stops at a pause once stop() says so: null, and the rest never converted', async () => {
    let converted = 0;
    const out = await mapPaced(Array.from({ length: 100 }, (_, i) => i), () => { converted++; busy(2); }, () => true);
    expect(out).to.equal(null);
    expect(converted).to.be.below(100);
  });
});
