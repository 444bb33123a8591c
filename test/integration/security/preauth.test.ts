import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import { drivers, startPortal, type Portal } from '../../support/portal.js';
import { Event } from '../../../lib/db/entities/index.js';
import { waitFor } from '../../support/wait.js';

function openIdle(port: number, n: number): Promise<Socket[]> {
  return Promise.all(Array.from({ length: n }, () => new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  })));
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const r = await fn();
  return [r, Date.now() - t];
}

for (const driver of drivers) {
  describe(`security on ${driver}: pre-auth limits and brute force`, function () {
    let portal: Portal;
    before(async function () {
      portal = await startPortal(this, { driver, flags: { maxAuthFailures: '3', authCooldown: '10m', loginGraceTime: '3s', maxStartups: '200' } });
    });
    after(async () => { await portal?.close(); });

    it('150 idle half-open connections do not delay a real login by more than a second', async () => {
      const [, baseline] = await timed(() => portal.ssh(['version']));
      const idle = await openIdle(portal.port, 150);
      try {
        const [r, loaded] = await timed(() => portal.ssh(['version']));
        expect(r.code).to.equal(0);
        expect(loaded - baseline).to.be.below(1000);
      } finally {
        for (const s of idle) s.destroy();
      }
    });

    it('drops connections that do not authenticate within the login grace time', async () => {
      const [s] = await openIdle(portal.port, 1);
      const closedAfter = await new Promise<number>((resolve) => {
        const t = Date.now();
        s.on('close', () => resolve(Date.now() - t));
        s.resume();
      });
      expect(closedAfter).to.be.within(2_000, 6_000);
    });

    it('records failed logins and refuses an address after too many, without locking out others', async () => {
      const stranger = portal.newKey('brute');
      for (let i = 0; i < 3; i++) {
        const r = await portal.ssh(['version'], { key: stranger, extra: ['-o', 'BindAddress=127.0.0.2'] });
        expect(r.code).to.equal(255);
      }
      let failures: Event[] = [];
      await waitFor(async () => {
        failures = await portal.app.db.manager.find(Event, { where: { domain: 'auth', action: 'failure' } });
        return failures.length >= 3;
      }, 5_000, 'three failure events');
      expect(failures[0].args).to.include('127.0.0.2').and.include('SHA256:');
      // The admin's valid key from the banned address is refused now …
      const banned = await portal.ssh(['version'], { extra: ['-o', 'BindAddress=127.0.0.2'] });
      expect(banned.code).to.equal(255);
      expect(portal.logs.some((l) => l.includes('address in authentication cool-down'))).to.equal(true);
      // Reconnecting in a loop from there is refused each time, with one log line per 10 s, not one per connection.
      const lines = (): number => portal.logs.filter((l) => l.includes('address in authentication cool-down')).length;
      const before = lines();
      for (let i = 0; i < 100; i++) {
        await new Promise<void>((resolve) => {
          const s = connect({ host: '127.0.0.1', port: portal.port, localAddress: '127.0.0.2' });
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.resume();
        });
      }
      expect(lines() - before).to.be.at.most(1);
      // … while another address still gets in.
      const other = await portal.ssh(['version'], { extra: ['-o', 'BindAddress=127.0.0.3'] });
      expect([other.code, other.stdout]).to.deep.equal([0, 'test\n']);
    });

    it('a connection already open when its address goes into cool-down: its next key is refused and it is dropped, uncounted (an address of its own: the cool-down lasts the suite)', async () => {
      // Connected from 127.0.0.6 with the admin's key, which it offers only once released.
      let release: () => void = () => undefined;
      const released = new Promise<void>((r) => { release = r; });
      const outcome = new Promise<'in' | 'refused'>((resolve) => {
        const c = new ssh2.Client();
        c.on('ready', () => { c.end(); resolve('in'); });
        c.on('error', () => resolve('refused'));
        c.on('close', () => resolve('refused'));
        let tried = false;
        const authHandler: ssh2.AuthHandlerMiddleware = (_left, _partial, next) => {
          if (tried) return next(false as unknown as ssh2.AuthenticationType);
          tried = true;
          void released.then(() => next({ type: 'publickey', username: 'admin', key: readFileSync(portal.adminKey, 'utf8') }));
        };
        c.connect({ host: '127.0.0.1', port: portal.port, localAddress: '127.0.0.6', username: 'admin', authHandler, hostVerifier: () => true, readyTimeout: 20_000 });
      });
      await new Promise((r) => setTimeout(r, 500));
      const stranger = portal.newKey('brute-open');
      for (let i = 0; i < 3; i++) expect((await portal.ssh(['version'], { key: stranger, extra: ['-o', 'BindAddress=127.0.0.6'] })).code).to.equal(255);
      await waitFor(() => portal.logs.some((l) => l.includes('address in authentication cool-down') && l.includes('127.0.0.6')), 5_000, 'the cool-down');
      const events = async (): Promise<number> => (await portal.app.db.manager.find(Event, { where: { domain: 'auth', action: 'failure' } })).length;
      await new Promise((r) => setTimeout(r, 300));
      const before = await events();
      release();
      expect(await outcome).to.equal('refused');
      await new Promise((r) => setTimeout(r, 300));
      expect(await events()).to.equal(before);
    });

    it('records a failed login whose name is longer than the event column (it was lost on MySQL: no trace of the attempt)', async () => {
      const stranger = portal.newKey('long-name');
      const name = 'n'.repeat(2_000);
      const r = await portal.ssh(['version'], { login: name, key: stranger, extra: ['-o', 'BindAddress=127.0.0.4'] });
      expect(r.code).to.equal(255);
      await waitFor(async () => (await portal.app.db.manager.countBy(Event, { domain: 'auth', action: 'failure', entity: `${'n'.repeat(254)}…` })) === 1,
        5_000, 'the failure event of the long name');
    });
  });
}
