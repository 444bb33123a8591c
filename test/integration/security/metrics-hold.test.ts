import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { maxMetricsConnections, metricsIdleMs } from '../../../lib/metrics/http.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * The attack: with `--metrics-address`, anyone who reaches that port opened
 * idle TCP connections that were never closed (measured: 2,000 held for
 * 70 s and more), each a descriptor of the portal's process, which the SSH
 * side needs (`--max-connections` is sized from the same open-files limit).
 */
describe('security: idle connections to the metrics endpoint cannot be held', function () {
  let portal: Portal;
  const socks: Socket[] = [];
  before(async function () {
    portal = await startPortal(this, { driver: 'sqlite3', flags: { metricsAddress: '127.0.0.1:0' } });
  });
  after(async () => {
    for (const s of socks) s.destroy();
    await portal?.close();
  });

  it(`at most ${maxMetricsConnections} at once, each closed after ${metricsIdleMs / 1000} s idle; the portal keeps serving; a scrape works after`, async function () {
    this.timeout(60_000);
    const port = portal.app.metricsPort as number;
    const fdsBefore = openFds();
    let closed = 0;
    const n = 300;
    for (let i = 0; i < n; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.on('close', () => closed++);
      socks.push(s);
    }
    // Past the cap, the portal closes them as it accepts them.
    await waitFor(() => closed >= n - maxMetricsConnections, 5_000, 'connections over the cap closed');
    expect(portal.logs.filter((l) => l.includes('metrics endpoint: too many connections'))).to.have.length(1);
    const t = Date.now();
    const r = await portal.ssh(['version'], { timeoutMs: 20_000 });
    expect([r.code, r.stdout]).to.deep.equal([0, 'test\n']);
    expect(Date.now() - t).to.be.below(2_000);
    // The ones it kept are closed once idle for metricsIdleMs.
    await waitFor(() => closed === n, metricsIdleMs + 5_000, 'idle connections closed');
    expect(openFds()).to.be.below(fdsBefore + 20);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).to.equal(200);
  });
});
