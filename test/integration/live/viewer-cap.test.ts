import { expect } from 'chai';
import { Event, Session, SshKey } from '../../../lib/db/entities/index.js';
import { sshOptions } from '../../support/openssh.js';
import { startPortal, type Portal } from '../../support/portal.js';
import { renderScreen } from '../../support/screen.js';
import { requireSshd, startSshd, type SshdTarget } from '../../support/sshd.js';
import { Terminal } from '../../support/terminal.js';
import { waitFor } from '../../support/wait.js';

const MAX_VIEWERS = 2;

/**
 * A live session takes a bounded number of viewers (lib/live/hub.ts): each
 * holds a queue and costs a snapshot, and an admin key attaching in a loop
 * would otherwise grow the owner's node without end.
 */
describe(`live sessions: at most ${MAX_VIEWERS} viewers per session (the cap lowered for the test; real OpenSSH)`, function () {
  this.timeout(60_000);
  let portal: Portal;
  let target: SshdTarget;
  const terms: Terminal[] = [];
  const open = (login: string, extra: string[] = []): Terminal => {
    const t = new Terminal([...extra, ...sshOptions(portal.port, portal.adminKey), `${login}@127.0.0.1`], 100, 30);
    terms.push(t);
    return t;
  };

  before(async function () {
    requireSshd(this);
    portal = await startPortal(this, { driver: 'sqlite3', maxViewers: MAX_VIEWERS });
    const portalKey = await portal.app.db.manager.findOneByOrFail(SshKey, { name: 'default' });
    target = await startSshd({ authorizedKeys: [portalKey.pubKey] });
    expect((await portal.ssh(['host', 'create', '--name=web01', `${target.user}@127.0.0.1:${target.port}`])).code).to.equal(0);
  });
  after(async () => {
    for (const t of terms) t.kill();
    await portal?.close();
    await target?.stop();
  });

  it(`viewers ${MAX_VIEWERS + 1} on are refused with the reason and a deny event; one gets in again once a viewer left`, async () => {
    const owner = open('web01');
    await owner.waitFor(/\$ $/, 20_000);
    let id = 0;
    await waitFor(async () => { id = (await portal.app.db.manager.findOne(Session, { where: {}, order: { id: 'DESC' } }))?.id ?? 0; return id > 0; }, 5_000, 'the session row');
    owner.write('echo shown-$((6*7))\r');
    await owner.waitFor(/shown-42/);
    const watchers = Array.from({ length: MAX_VIEWERS }, () => open(`watch:${id}`, ['-t']));
    for (const w of watchers) await waitFor(async () => (await renderScreen(w.output, 100, 30)).join('\n').includes('shown-42'), 10_000, 'a snapshot');
    const refused = await portal.ssh([], { login: `watch:${id}`, extra: ['-tt'] });
    expect(refused.code).to.not.equal(0);
    expect(refused.stdout + refused.stderr).to.include(`error: session ${id} has ${MAX_VIEWERS} viewers already: no one else can watch or join it until one leaves`);
    const denies = await portal.app.db.manager.find(Event, { where: { domain: 'session', action: 'deny' } });
    expect(denies.map((e) => e.entity)).to.include(`watch:${id}`);
    watchers[0]?.write('q');
    expect(await watchers[0]?.exitCode).to.equal(0);
    await owner.waitFor(/admin stopped watching this session/);
    const again = open(`watch:${id}`, ['-t']);
    await waitFor(async () => (await renderScreen(again.output, 100, 30)).join('\n').includes('shown-42'), 10_000, 'the snapshot of a viewer after one left');
  });
});
