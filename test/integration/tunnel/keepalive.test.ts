import { expect } from 'chai';
import { startPortal, type Portal } from '../../support/portal.js';
import { waitFor } from '../../support/wait.js';
import { connect, tunnelEvents, type Connector } from './connector.js';

describe('tunnel connectors: keepalives drop a connector that stopped answering', function () {
  let portal: Portal;
  let connector: Connector | undefined;

  before(async function () {
    // Probes every 500 ms, dropped after 2 unanswered (the default is 15 s × 3).
    portal = await startPortal(this, { driver: 'sqlite3', keepalive: { intervalMs: 500, countMax: 2 } });
    expect((await portal.ssh(['host', 'create', '--tunnel', 'pi@pi42'])).code).to.equal(0);
  });
  after(async () => {
    if (connector?.running) connector.child.kill('SIGCONT');
    await connector?.kill();
    await portal?.close();
  });

  it('a frozen connector (its TCP connection still open) is dropped and the host goes offline', async () => {
    const out = (await portal.ssh(['host', 'tunnel-invite', 'pi42'])).stdout;
    const token = /host-invite:([A-Za-z0-9]+)@/.exec(out)?.[1] ?? '';
    // It forwards to a closed port: only its liveness matters here.
    connector = await connect(portal, portal.newKey('frozen'), `host-invite:${token}`, '22:127.0.0.1:9', 'pi42');
    // Alive and answering: still online after several probes.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await tunnelEvents(portal, 'disconnected', 'pi42')).to.equal(0);
    connector.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    await waitFor(async () => (await tunnelEvents(portal, 'disconnected', 'pi42')) === 1, 10_000, 'the frozen connector to be dropped');
    expect(Date.now() - frozenAt).to.be.lessThan(10_000);
    const r = await portal.ssh(['true'], { login: 'pi42' });
    expect([r.code, r.stderr]).to.deep.equal([1, 'error: pi42 is a tunnel host and no connector is online\n']);
  });
});
