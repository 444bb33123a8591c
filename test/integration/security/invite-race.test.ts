/**
 * Issue 14, item 5: an invite token raced by many real OpenSSH clients at once,
 * each with its own key, binds exactly one key; every other client gets the
 * invite refusal, never `internal error` (a deadlock) and never a second key.
 */
import { expect } from 'chai';
import { Event, User, UserKey } from '../../../lib/db/entities/index.js';
import { drivers, startPortal, type Portal } from '../../support/portal.js';
import type { RunResult } from '../../support/process.js';

const racers = 15;
const refusal = 'invalid or expired invite token';

/** Runs `racers` `ssh invite:TOKEN@portal` at once, each with a fresh key; returns results and key paths. */
async function race(portal: Portal, token: string, label: string): Promise<{ results: RunResult[]; keys: string[] }> {
  const keys = Array.from({ length: racers }, (_, i) => portal.newKey(`${label}_${i}`));
  // A loser refused already at authentication reads the reason through keyboard-interactive: BatchMode off.
  const extra = ['-o', 'BatchMode=no', '-o', 'LogLevel=INFO'];
  const results = await Promise.all(keys.map((key) => portal.ssh([], { login: `invite:${token}`, key, extra, timeoutMs: 60_000 })));
  return { results, keys };
}

/** Exactly one winner; every loser refused with the invite message. Returns the winner's index. */
function expectOneWinner(results: RunResult[], welcome: string): number {
  const winners = results.flatMap((r, i) => (r.code === 0 ? [i] : []));
  expect(winners, results.map((r) => `${r.code}: ${r.stdout}${r.stderr}`).join('\n')).to.have.length(1);
  expect(results[winners[0]].stdout).to.include(welcome);
  for (const r of results) {
    if (r.code === 0) continue;
    expect(r.stderr + r.stdout).to.not.include('internal error');
    expect(r.stderr, r.stderr).to.include(refusal);
  }
  return winners[0];
}

for (const driver of drivers) {
  describe(`security: concurrent invite redemptions bind one key (${driver})`, function () {
    this.timeout(180_000);
    const adminToken = 'race-admin-token-0123456789';
    let portal: Portal;
    let adminKey = '';

    before(async function () {
      // Losers refused at authentication count as failed logins of 127.0.0.1: no cool-down for the admin's own commands.
      portal = await startPortal(this, { driver, enrollAdmin: false, flags: { maxAuthFailures: '1000' }, env: { SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN: adminToken } });
    });
    after(async () => { await portal?.close(); });

    it(`the first admin invite: ${racers} racers, one key bound`, async () => {
      const { results, keys } = await race(portal, adminToken, 'admin');
      adminKey = keys[expectOneWinner(results, 'Welcome admin!')];
      const m = portal.app.db.manager;
      const admin = await m.findOneByOrFail(User, { name: 'admin' });
      expect(await m.countBy(UserKey, { userId: admin.id })).to.equal(1);
      expect(admin.inviteToken).to.equal('');
      const info = await portal.ssh(['info'], { key: adminKey });
      expect(info.code, info.stderr).to.equal(0);
    });

    it(`a user invite: ${racers} racers, one key bound`, async () => {
      const invite = await portal.ssh(['user', 'invite', 'racer@example.com'], { key: adminKey });
      expect(invite.code, invite.stderr).to.equal(0);
      const token = /invite:([A-Za-z0-9]+)/.exec(invite.stdout)?.[1] ?? '';
      expect(token).to.have.length(32);
      const { results } = await race(portal, token, 'racer');
      expectOneWinner(results, 'Welcome racer!');
      const m = portal.app.db.manager;
      const racer = await m.findOneByOrFail(User, { email: 'racer@example.com' });
      expect(await m.countBy(UserKey, { userId: racer.id })).to.equal(1);
      // One redemption event, one key: the audit trail agrees.
      expect(await m.countBy(Event, { action: 'invite-redeemed', entity: racer.name })).to.equal(1);
    });
  });
}
