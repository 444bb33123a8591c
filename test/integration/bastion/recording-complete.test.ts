/**
 * Recordings stay complete at full speed (issue 13, item 5): a PTY session
 * streams megabytes of UTF-8 text (multi-byte characters split across packet
 * boundaries) as fast as the target's terminal produces it; the `o` events of
 * the `.cast` file, joined, are byte for byte what the real OpenSSH client wrote
 * to its stdout, with no drop marker.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host, HostGroup, Session, SshKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

/** Random bytes as base64 lines, with some letters turned into 2-, 3- and 4-byte UTF-8 characters. */
const RANDOM_MB = 48;
const command = `head -c ${RANDOM_MB * 1024 * 1024} /dev/urandom | base64 -w 100 | sed 's/A/é/g; s/B/€/g; s/C/😀/g'`;

/** Runs `ssh -tt` with stdout going straight to a file; resolves with its exit status. */
function sshToFile(portal: Portal, out: string): Promise<number | null> {
  const fd = openSync(out, 'w');
  const child = spawn('ssh', ['-tt', ...sshOptions(portal.port, portal.adminKey), 'web01@127.0.0.1', command], { stdio: ['ignore', fd, 'ignore'] });
  return new Promise((resolve) => child.once('close', (code) => { closeSync(fd); resolve(code); }));
}

describe('recordings at full speed: the cast holds exactly what the client saw', function () {
  this.timeout(120_000);
  let portal: Portal;
  let target: SshdTarget;
  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3' });
    const m = portal.app.db.manager;
    const portalKey = await m.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    const group = await m.findOneByOrFail(HostGroup, { name: 'default' });
    await m.save(m.create(Host, { name: 'web01', addr: `127.0.0.1:${target.port}`, user: target.user, groups: [group] }));
  });
  after(async () => {
    await portal?.close();
    await target?.stop();
  });

  it(`${RANDOM_MB} MiB of random bytes, as UTF-8 text through a PTY: recorded byte for byte`, async () => {
    const out = join(portal.dir, 'client-stdout');
    expect(await sshToFile(portal, out)).to.equal(0);
    const seen = readFileSync(out);
    expect(seen.length).to.be.greaterThan(RANDOM_MB * 1024 * 1024);
    const m = portal.app.db.manager;
    const last = await m.findOneOrFail(Session, { where: {}, order: { id: 'DESC' } });
    await waitFor(async () => (await m.findOneByOrFail(Session, { id: last.id })).status === 'closed', 30_000, 'the session row to close');
    const lines = readFileSync(join(portal.dir, 'log', `session-${last.id}.cast`), 'utf8').split('\n').filter(Boolean).slice(1);
    const events = lines.map((l) => JSON.parse(l) as [number, string, string]);
    expect(events.filter((e) => e[1] === 'm'), 'drop markers').to.deep.equal([]);
    const recorded = Buffer.from(events.filter((e) => e[1] === 'o').map((e) => e[2]).join(''), 'utf8');
    expect(recorded.length).to.equal(seen.length);
    expect(recorded.equals(seen), 'recorded output differs from what the client saw').to.equal(true);
  });
});
