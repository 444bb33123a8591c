/**
 * Two admins acting at the same moment on what a check guards: taking the
 * admin role from each other (or removing each other) must leave an admin, and
 * two hops set towards each other must not make a loop. On MySQL the checks
 * read each transaction's snapshot, so both saw nothing wrong and both
 * committed.
 */
import { expect } from 'chai';
import { Host, User } from '../../../lib/db/entities/index.js';
import { drivers } from '../../support/databases.js';
import { expectCleanError } from './cases.js';
import { openShell, type ShellFixture } from './harness.js';

const rounds = 8;

for (const driver of drivers) {
  describe(`shell: the last admin, two admins at once, on ${driver}`, function () {
    let f: ShellFixture;
    before(async function () {
      f = await openShell(this, driver);
      for (const cmd of ['user invite --name=second second@example.com', 'user update --assign-role=admin second']) {
        const r = await f.run(cmd);
        expect(r.code, r.stderr).to.equal(0);
      }
    });
    after(async () => { await f?.close(); });

    const admins = async (): Promise<string[]> =>
      (await f.db.manager.find(User, { relations: { roles: true } })).filter((u) => (u.roles ?? []).some((r) => r.name === 'admin')).map((u) => u.name);

    it('lets one of two simultaneous role removals through, never both', async () => {
      for (let i = 0; i < rounds; i++) {
        const [a, b] = await Promise.all([
          f.run('user update --unassign-role=admin second', { user: 'admin' }),
          f.run('user update --unassign-role=admin admin', { user: 'second' }),
        ]);
        expect([a.code, b.code].sort(), `${a.stderr}${b.stderr}`).to.deep.equal([0, 1]);
        // Refused by the check, or (when the other committed before this one's role check) for having lost the role itself.
        expectCleanError(a.code === 1 ? a.stderr : b.stderr, /without any admin|permission denied/);
        const left = await admins();
        expect(left, `round ${i + 1}`).to.have.length(1);
        // Give the role back for the next round (the one left is still admin).
        const back = await f.run(`user update --assign-role=admin ${left[0] === 'admin' ? 'second' : 'admin'}`, { user: left[0] });
        expect(back.code, back.stderr).to.equal(0);
      }
    });

    it('lets one of two simultaneous removals of the two admins through, never both', async () => {
      for (const cmd of ['user invite --name=third third@example.com', 'user update --assign-role=admin third']) {
        const r = await f.run(cmd, { user: 'admin' });
        expect(r.code, r.stderr).to.equal(0);
      }
      // Three admins: two of them removed at once leave one; then both remaining removed at once leave one.
      const [a, b] = await Promise.all([f.run('user rm second', { user: 'admin' }), f.run('user rm third', { user: 'admin' })]);
      expect([a.code, b.code], `${a.stderr}${b.stderr}`).to.deep.equal([0, 0]);
      const r = await f.run('user invite --name=fourth fourth@example.com');
      expect(r.code, r.stderr).to.equal(0);
      expect((await f.run('user update --assign-role=admin fourth')).code).to.equal(0);
      const [c, d] = await Promise.all([f.run('user rm fourth', { user: 'admin' }), f.run('user rm admin', { user: 'fourth' })]);
      expect([c.code, d.code].sort(), `${c.stderr}${d.stderr}`).to.deep.equal([0, 1]);
      expectCleanError(c.code === 1 ? c.stderr : d.stderr, /without any admin|permission denied/);
      expect(await admins()).to.have.length(1);
    });

    it('lets one of two hops set towards each other at once through, never a loop', async () => {
      // The admin the tests above left.
      const user = (await admins())[0] ?? '';
      for (const cmd of ['host create x@hop-a.example.org', 'host create x@hop-b.example.org']) expect((await f.run(cmd, { user })).code).to.equal(0);
      for (let i = 0; i < rounds; i++) {
        const [a, b] = await Promise.all([f.run('host update --hop=hop-b hop-a', { user }), f.run('host update --hop=hop-a hop-b', { user })]);
        expect([a.code, b.code].sort(), `${a.stderr}${b.stderr}`).to.deep.equal([0, 1]);
        expectCleanError(a.code === 1 ? a.stderr : b.stderr, /lead back to the host itself/);
        const hops = (await f.db.manager.find(Host)).filter((h) => h.name.startsWith('hop-') && h.hopId !== null);
        expect(hops, `round ${i + 1}`).to.have.length(1);
        expect((await f.run('host update --unset-hop hop-a hop-b', { user })).code).to.equal(0);
      }
    });
  });
}
