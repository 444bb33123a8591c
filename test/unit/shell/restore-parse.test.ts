import { expect } from 'chai';
import { parseBackupText } from '../../../lib/db/backup/restore.js';
import { userMessage } from '../../../lib/errors.js';
import { backupChecks } from '../../../lib/shell/backup-checks.js';
import { inlineMaxChars, parseBackupOffLoop } from '../../../lib/shell/restore-parse.js';

const now = new Date('2026-11-27T12:00:00Z');
const stamp = { CreatedAt: '2026-01-01T00:00:00Z', UpdatedAt: '2026-01-01T00:00:00Z', DeletedAt: null };

/** A backup of `n` plain hosts (well past the inline size from a few thousand on). */
function hosts(n: number): Record<string, unknown> {
  return { hosts: Array.from({ length: n }, (_, i) => ({ ID: i + 1, ...stamp, Name: `h${i}`, Addr: `10.0.${i >> 8}.${i & 255}:22`, User: 'root', Comment: 'c'.repeat(100) })) };
}

/** What a promise settles with: its value, or its error's user message. */
async function outcome<T>(p: Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await p };
  } catch (err) {
    return { error: userMessage(err) };
  }
}

describe('shell: a restore is parsed off the event loop', function () {
  this.timeout(60_000);

  it('a large document: the same plan as parsed inline', async () => {
    const text = JSON.stringify(hosts(4000));
    expect(text.length).to.be.above(inlineMaxChars);
    const off = await parseBackupOffLoop(text, now);
    expect(off).to.deep.equal(parseBackupText(text, now, backupChecks));
    expect(off.hosts).to.have.length(4000);
  });

  it('a large refused document: the same refusal as inline', async () => {
    const doc = hosts(4000);
    (doc.hosts as Record<string, unknown>[])[3999].Name = 42;
    const text = JSON.stringify(doc);
    let inline = '';
    try { parseBackupText(text, now, backupChecks); } catch (err) { inline = userMessage(err); }
    expect(inline).to.match(/^invalid backup: backup.hosts\[3999\].Name/);
    expect(await outcome(parseBackupOffLoop(text, now))).to.deep.equal({ error: inline });
  });

  it('millions of tiny objects: refused at the worker\'s memory limit, the portal untouched', async () => {
    // ~6M objects: JSON.parse alone needs far more than 32 MiB (inline, 255 MB of them ran the portal out of its 4 GB).
    const text = `{"hosts":[${Array(6_000_000).fill('{}').join(',')}]}`;
    const heapBefore = process.memoryUsage().heapUsed;
    expect(await outcome(parseBackupOffLoop(text, now, { heapMb: 32, deadlineMs: 60_000 }))).to.deep.equal({ error: 'invalid backup: too large to check within 32 MiB of memory' });
    expect(process.memoryUsage().heapUsed - heapBefore).to.be.below(200 * 1024 * 1024);
  });

  it('a document not checked in time is refused; the next restore may start', async () => {
    const text = JSON.stringify(hosts(4000));
    expect(await outcome(parseBackupOffLoop(text, now, { heapMb: 512, deadlineMs: 1 }))).to.deep.equal({ error: 'invalid backup: not checked within 0.001 s' });
    expect((await parseBackupOffLoop(text, now)).hosts).to.have.length(4000);
  });

  it('one at a time per node; the event loop keeps turning meanwhile', async () => {
    const doc = hosts(60_000);
    (doc.hosts as Record<string, unknown>[])[59_999].Name = 42;
    const text = JSON.stringify(doc);
    let last = Date.now();
    let worstGap = 0;
    const ticker = setInterval(() => { const t = Date.now(); worstGap = Math.max(worstGap, t - last); last = t; }, 10);
    try {
      const first = outcome(parseBackupOffLoop(text, now));
      expect(await outcome(parseBackupOffLoop(text, now))).to.deep.equal({ error: 'another restore is being checked on this node: try again once it is done' });
      const r = await first;
      expect(r).to.have.property('error').that.matches(/^invalid backup: backup.hosts\[59999\].Name/);
    } finally {
      clearInterval(ticker);
    }
    // Inline, this document holds the loop for seconds on this machine; the worker's start and answer cost little.
    const t = Date.now();
    try { parseBackupText(text, now, backupChecks); } catch { /* refused, as above */ }
    const inlineMs = Date.now() - t;
    expect(worstGap, `worst gap ${worstGap} ms; inline parse ${inlineMs} ms`).to.be.below(Math.max(300, inlineMs / 2));
  });
});
