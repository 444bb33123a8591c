import { expect } from 'chai';
import { orAfter } from '../../lib/or-after.js';

describe('orAfter (waiting, but not for ever)', () => {
  it("gives the promise's value when it comes first", async () => {
    expect(await orAfter(Promise.resolve(7), 1_000, 'late' as const)).to.equal(7);
  });

  it('gives the marker once the time passed first, and at once for no time left', async () => {
    const start = performance.now();
    expect(await orAfter(new Promise<number>(() => undefined), 30, 'late' as const)).to.equal('late');
    expect(performance.now() - start).to.be.at.least(25);
    expect(await orAfter(new Promise<number>(() => undefined), -5, 'late' as const)).to.equal('late');
  });

  it('rejects with the promise when it fails first', async () => {
    const err = await orAfter(Promise.reject(new Error('refused')), 1_000, 'late' as const).catch((e: unknown) => e);
    expect(err).to.be.an('error').with.property('message', 'refused');
  });

});
