import { expect } from 'chai';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Event } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { openShell, type ShellFixture } from './harness.js';

/** Inserts `count` failed-login events (as the server writes them) in a few multi-row statements. */
async function addFailedLogins(f: ShellFixture, count: number, name: (i: number) => string): Promise<void> {
  for (let start = 0; start < count; start += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - start) }, (_, k) => ({
      authorId: null, domain: 'auth', action: 'failure', entity: name(start + k),
      args: JSON.stringify({ remote_addr: `10.0.0.1:${(start + k) % 65535}`, fingerprint: null, reason: 'unknown key' }),
    }));
    await f.db.manager.createQueryBuilder().insert().into(Event).values(rows).updateEntity(false).execute();
  }
}

for (const driver of drivers) {
  describe(`shell: event ls pages on ${driver}`, function () {
    this.timeout(120_000);
    let f: ShellFixture;
    before(async function () {
      f = await openShell(this, driver);
      await addFailedLogins(f, 12_000, (i) => (i === 6000 ? 'é'.repeat(200) : `guess${i}`));
    });
    after(async () => { await f?.close(); });

    it('12,000 events and one non-ASCII login name: event ls shows the newest 100 in well under a second', async () => {
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const start = performance.now();
      const r = await f.run('event ls');
      const took = performance.now() - start;
      lag.disable();
      expect(r.code, r.stderr).to.equal(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).to.have.length(102);
      expect(lines[1]).to.match(/^12000 +auth +failure +guess11999 /);
      expect(lines[101]).to.equal('Total: 100 events.');
      expect(took).to.be.below(1000);
      expect(lag.max / 1e6).to.be.below(500);
    });

    it('pages through the rest with --before and --offset, the non-ASCII row included', async () => {
      const page = (await f.run('event ls --before 6010 --limit 20')).stdout.split('\n');
      expect(page[1]).to.match(/^6009 /);
      expect(page.find((l) => l.startsWith('6001 '))).to.match(/^6001 +auth +failure +é{27}\.\.\. /);
      const head = page[0] ?? '';
      for (const l of page.slice(1, 21)) expect(l.indexOf('auth'), l).to.equal(head.indexOf('DOMAIN'));
      expect((await f.run('event ls -q --offset 11998 --limit 5')).stdout).to.equal('2\n1\n');
      const all = await f.run('event ls -q --limit 10000');
      expect(all.stdout.split('\n')).to.have.length(10_001);
    });
  });
}
