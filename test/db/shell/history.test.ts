import { expect } from 'chai';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Event, Session } from '../../../lib/db/entities/index.js';
import { eventPageQuery, listedPrefixChars, listEvents, listSessions, sessionPageQuery, type Page } from '../../../lib/db/queries/history.js';
import { ellipsize, humanizeDuration, humanizeTime } from '../../../lib/shell/render/humanize.js';
import { renderTable } from '../../../lib/shell/render/table.js';
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

/**
 * Texts at the edges of the prefix a listing reads (lib/db/queries/history.ts):
 * lengths around the 30 shown and the 256 read, astral characters (two UTF-16
 * units each, one character for SUBSTR), combining marks, and 50 KB.
 */
const edgeTexts: readonly (string | null)[] = [
  null, '', 'a'.repeat(30), 'a'.repeat(31), '😀'.repeat(15), '😀'.repeat(16), '😀'.repeat(257), 'e\u0301'.repeat(300),
  `{"comment":"${'x'.repeat(49_980)}"}`, '😀'.repeat(12_000), `${'é'.repeat(256)}${'z'.repeat(40_000)}`,
];

/** A JSON array of at most `bytes` (recordings, commands, seals as large as their columns take). */
function bigJson(bytes: number, item: (i: number) => unknown): string {
  const items: string[] = [];
  for (let length = 2; ;) {
    const next = JSON.stringify(item(items.length));
    if (length + next.length + 1 > bytes) return `[${items.join(',')}]`;
    items.push(next);
    length += next.length + 1;
  }
}

/** The first `n` characters (code points) of `text`, as SUBSTR cuts it. */
function firstChars(text: string, n: number): string {
  return Array.from(text).slice(0, n).join('');
}

/** `text` as it crosses the shell's UTF-8 output (a surrogate cut in half becomes U+FFFD). */
function asOutput(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

for (const driver of drivers) {
  describe(`shell: event ls and session ls over large rows on ${driver}`, function () {
    this.timeout(120_000);
    let f: ShellFixture;
    let recordings = '';
    const now = new Date(Date.now() + 3_600_000);
    const all: Page = { limit: 10_000, offset: 0, before: null };
    before(async function () {
      f = await openShell(this, driver);
      const m = f.db.manager;
      const admin = (await f.identity('admin')).user.id;
      await m.createQueryBuilder().insert().into(Event).values(edgeTexts.map((args, i) => ({ authorId: admin, domain: 'host', action: 'update', entity: `host${i}`, args })))
        .updateEntity(false).execute();
      recordings = bigJson(60_000, (i) => `2024/01/01/session-${i}.cast`);
      const json = {
        recordings,
        commands: bigJson(60_000, (i) => `exec: tail -n ${i} /var/log/syslog`),
        seals: bigJson(60_000, (i) => ({ path: `${i}.cast`, length: i, sha256: 'a'.repeat(64) })),
      };
      await m.createQueryBuilder().insert().into(Session).values(edgeTexts.map((errMsg, i) => ({
        status: i % 2 === 0 ? 'closed' : 'active', userId: admin, hostId: null, errMsg, comment: `c${i}`, node: 'n1', remoteAddr: '10.0.0.1:5000',
        stoppedAt: i % 2 === 0 ? new Date(now.getTime() - 1000) : null, ...json,
      }))).updateEntity(false).execute();
    });
    after(async () => { await f?.close(); });

    it('event ls shows the cells the whole rows make (args ellipsized to 30), from the first 256 characters of args', async () => {
      const full = await f.db.manager.find(Event, { relations: { author: true }, order: { createdAt: 'DESC', id: 'DESC' } });
      const expected = renderTable({
        columns: ['ID', 'Author', 'Domain', 'Action', 'Entity', 'Args', 'Date'], noun: 'events',
        rows: full.map((e) => [String(e.id), e.author?.name ?? '', e.domain, e.action, ellipsize(e.entity, 30), ellipsize(e.args ?? '', 30), humanizeTime(e.createdAt, now)]),
      });
      const r = await f.run('event ls --limit 10000', { now });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal(asOutput(expected));
      const rows = await listEvents(f.db.manager, all);
      expect(rows.map((e) => e.id)).to.deep.equal(full.map((e) => e.id));
      rows.forEach((row, i) => {
        expect(row).not.to.have.property('args');
        expect(row.argsPrefix).to.equal(full[i]?.args == null ? null : firstChars(full[i]?.args ?? '', listedPrefixChars));
        expect(row.createdAt).to.be.an.instanceOf(Date).and.deep.equal(full[i]?.createdAt);
      });
    });

    it('session ls (and --active) shows the cells the whole rows make (error ellipsized to 30), reading no recordings, commands, seals', async () => {
      const full = await f.db.manager.find(Session, { relations: { user: true, host: true }, order: { createdAt: 'DESC', id: 'DESC' } });
      const cells = (s: Session): string[] => {
        const span = humanizeDuration((s.stoppedAt ?? now).getTime() - s.createdAt.getTime());
        return [String(s.id), s.user?.name ?? 'n/a', s.host?.name ?? 'n/a', s.status, humanizeTime(s.createdAt, now),
          span === 'now' ? '1 second' : span, ellipsize(s.errMsg ?? '', 30), s.comment, s.node];
      };
      const columns = ['ID', 'User', 'Host', 'Status', 'Start', 'Duration', 'Error', 'Comment', 'Node'];
      for (const active of [false, true]) {
        const shown = full.filter((s) => !active || s.status === 'active');
        const r = await f.run(`session ls --limit 10000${active ? ' --active' : ''}`, { now });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.equal(asOutput(renderTable({ columns, noun: 'sessions', rows: shown.map(cells) })));
        const rows = await listSessions(f.db.manager, all, active);
        expect(rows.map((s) => s.id)).to.deep.equal(shown.map((s) => s.id));
        rows.forEach((row, i) => {
          for (const column of ['recordings', 'commands', 'seals', 'errMsg', 'remoteAddr']) expect(row).not.to.have.property(column);
          expect(row.errMsgPrefix).to.equal(shown[i]?.errMsg == null ? null : firstChars(shown[i]?.errMsg ?? '', listedPrefixChars));
          expect(row.createdAt).to.be.an.instanceOf(Date).and.deep.equal(shown[i]?.createdAt);
        });
      }
    });

    it('event inspect and session inspect still show the large columns whole', async () => {
      const m = f.db.manager;
      const event = await m.findOneByOrFail(Event, { entity: `host${edgeTexts.findIndex((t) => t?.startsWith('{"comment"'))}` });
      const [shown] = JSON.parse((await f.run(`event inspect ${event.id}`)).stdout) as { Args: { comment: string } }[];
      expect(shown?.Args.comment).to.have.length(49_980);
      const session = await m.findOneByOrFail(Session, { comment: `c${edgeTexts.length - 1}` });
      const [s] = JSON.parse((await f.run(`session inspect ${session.id}`)).stdout) as { ErrMsg: string; Recordings: string[]; Commands: string[]; Seals: unknown[] }[];
      expect(s?.ErrMsg).to.equal(edgeTexts[edgeTexts.length - 1]);
      expect(s?.Recordings).to.deep.equal(JSON.parse(recordings));
      expect(s?.Commands.length).to.be.above(1000);
      expect(s?.Seals.length).to.be.above(300);
    });

    it('the page queries name no large column but inside SUBSTR(…, 1, 256)', () => {
      const m = f.db.manager;
      for (const qb of [eventPageQuery(m, all), sessionPageQuery(m, all, false), sessionPageQuery(m, all, true)]) {
        const sql = qb.getQuery();
        expect(sql).to.match(new RegExp(`SUBSTR\\([^)]+, 1, ${listedPrefixChars}\\)`));
        expect(sql.replace(/SUBSTR\([^)]*\)/g, '')).not.to.match(/args|err_msg|recordings|commands|seals/);
      }
    });
  });
}
