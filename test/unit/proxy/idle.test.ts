import { expect } from 'chai';
import { IdleTimer } from '../../../lib/proxy/idle.js';

describe('proxy/IdleTimer', () => {
  it('fires once after the timeout without activity', async () => {
    let fired = 0;
    const t = new IdleTimer(30, Date.now, () => { fired++; });
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).to.equal(1);
    t.stop();
  });

  it('is pushed back by activity and can be stopped', async () => {
    let fired = 0;
    const t = new IdleTimer(60, Date.now, () => { fired++; });
    for (let i = 0; i < 4; i++) { await new Promise((r) => setTimeout(r, 25)); t.touch(); }
    expect(fired).to.equal(0);
    t.stop();
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).to.equal(0);
  });
});
