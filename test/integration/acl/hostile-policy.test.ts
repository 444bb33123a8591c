import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { ClientChannel } from 'ssh2';
import { MAX_REFUSAL_EVENTS } from '../../../lib/proxy/policy-gate.js';
import { connectAttacker, type AttackClient } from '../../support/attack-client.js';
import { requireSshd } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';
import { refusals, startPolicyFixture, type PolicyFixture } from './setup.js';

/** Opens a forbidden direct-tcpip channel; resolves with the failure message (or 'opened'). */
function forwardOut(a: AttackClient, host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    a.client.forwardOut('127.0.0.1', 1, host, port, (err, ch) => {
      if (err) resolve(err.message);
      else { ch.close(); resolve('opened'); }
    });
  });
}

/** Runs `command` on a session channel; resolves with stderr and the exit code. */
function exec(a: AttackClient, command: string): Promise<{ stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    a.client.exec(command, (err: Error | undefined, ch: ClientChannel) => {
      if (err) { reject(err); return; }
      let stderr = '';
      let code: number | null = null;
      ch.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      ch.on('exit', (c: number | null) => { code = c; });
      ch.on('data', () => undefined);
      ch.once('close', () => resolve({ stderr, code }));
    });
  });
}

describe('acl session policy against a hostile client (ssh2 as an attacker)', function () {
  let f: PolicyFixture;
  let locked: number;
  let a: AttackClient | undefined;

  before(async function () {
    requireSshd(this);
    f = await startPolicyFixture(this);
    locked = await f.host('locked', '--shell=no', '--exec=no', '--file-copy=no', '--local-forward=none', '--remote-forward=none', '--agent-forward=no', '--x11=no');
    await f.host('open');
  });
  after(async () => {
    a?.client.end();
    await f?.close();
  });

  it('refuses a flood of forbidden requests with printable reasons, bounds the events, and keeps serving', async () => {
    a = await connectAttacker(f.portal.port, 'locked', readFileSync(f.key, 'utf8'));
    const hostile = `db\u001b[2J\n${'x'.repeat(2000)}`;
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => forwardOut(a as AttackClient, i % 2 ? hostile : 'db', 5432)));
    for (const m of answers) {
      expect(m).to.match(new RegExp(`acl ${locked} forbids local forwarding to `));
      expect(m).to.not.match(/[\u0000-\u001f]/);
      expect(m.length).to.be.lessThan(400);
    }
    const bound = await Promise.all(Array.from({ length: 50 }, (_, i) => new Promise<string>((resolve) => {
      a?.client.forwardIn('localhost', 20000 + i, (err) => resolve(err ? 'refused' : 'bound'));
    })));
    expect(new Set(bound)).to.deep.equal(new Set(['refused']));
    for (const command of ['id', 'scp -t /tmp', 'rsync --server . /tmp']) {
      const r = await exec(a, command);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(new RegExp(`^error: acl ${locked} forbids (remote commands|file copy \\((scp|rsync)\\))\\n$`));
    }
    await waitFor(async () => (await refusals(f, 'locked')).length === MAX_REFUSAL_EVENTS, 10_000, 'the refusal events');
    expect(f.portal.logs.some((l) => l.includes('no further events'))).to.equal(true);
    const still = await f.ssh('open', ['echo', 'still-serving']);
    expect([still.code, still.stdout]).to.deep.equal([0, 'still-serving\n']);
  });
});
