import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/log.js';
import { BoundedFileWriter } from '../../../lib/recording/bounded-file.js';
import { CastRecorder } from '../../../lib/recording/cast-recorder.js';
import { parseSealFile, sealPath } from '../../../lib/recording/seal.js';
import { tempDir, type TempDir } from '../../support/keys.js';

describe('recording/CastRecorder', () => {
  let tmp: TempDir;
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.remove());

  function clock(start: number): { now: () => number; advance: (ms: number) => void } {
    let t = start;
    return { now: () => t, advance: (ms) => { t += ms; } };
  }

  it('writes header, output, input and resize events in `everything` mode', async () => {
    const c = clock(1_700_000_000_000);
    const path = join(tmp.path, 'sub', 's.cast');
    const rec = new CastRecorder({ path, mode: 'everything', width: 80, height: 24, env: { TERM: 'xterm' }, log: silentLogger, now: c.now });
    c.advance(500);
    rec.output(Buffer.from('$ '));
    c.advance(500);
    rec.input(Buffer.from('ls\r'));
    rec.resize(100, 30);
    const summary = await rec.close();
    const bytes = readFileSync(path);
    expect(summary).to.deep.equal({ path, droppedBytes: 0, failed: false, seal: { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') } });
    expect(readFileSync(path, 'utf8')).to.equal(
      '{"version":2,"width":80,"height":24,"timestamp":1700000000,"env":{"TERM":"xterm"}}\n' +
        '[0.5,"o","$ "]\n[1,"i","ls\\r"]\n[1,"r","100x30"]\n',
    );
    expect(statSync(path).mode & 0o777).to.equal(0o600);
  });

  it('keeps only input in `input` mode', async () => {
    const c = clock(0);
    const path = join(tmp.path, 'i.cast');
    const rec = new CastRecorder({ path, mode: 'input', width: 80, height: 24, log: silentLogger, now: c.now });
    rec.output(Buffer.from('secret output'));
    rec.input(Buffer.from('whoami\r'));
    await rec.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[1]).to.equal('[0,"i","whoami\\r"]');
  });

  it('does not split multi-byte characters across chunks', async () => {
    const path = join(tmp.path, 'u.cast');
    const rec = new CastRecorder({ path, mode: 'everything', width: 80, height: 24, log: silentLogger, now: () => 0 });
    const check = Buffer.from('✓');
    rec.output(check.subarray(0, 1));
    rec.output(check.subarray(1));
    await rec.close();
    expect(readFileSync(path, 'utf8').trim().split('\n').slice(1)).to.deep.equal(['[0,"o","✓"]']);
  });

  it('drops (never blocks) when the queue is full, and marks the loss', async () => {
    const path = join(tmp.path, 'd.cast');
    const rec = new CastRecorder({ path, mode: 'everything', width: 80, height: 24, log: silentLogger, now: () => 0, maxQueuedBytes: 200 });
    for (let i = 0; i < 20; i++) rec.output(Buffer.from('x'.repeat(50)));
    const summary = await rec.close();
    expect(summary.droppedBytes).to.be.greaterThan(0);
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith('{"version":2')).to.equal(true);
  });

  it('reports a lagging file as backlogged at half its queue and calls back once it caught up', async () => {
    const w = new BoundedFileWriter({ path: join(tmp.path, 'lag.cast'), log: silentLogger, maxQueuedBytes: 100 });
    expect(w.backlogged).to.equal(false);
    w.write(Buffer.alloc(60));
    expect(w.backlogged).to.equal(true);
    const ready = new Promise<void>((resolve) => w.onceReady(resolve));
    await ready;
    expect(w.backlogged).to.equal(false);
    expect(w.droppedBytes).to.equal(0);
    let now = false;
    w.onceReady(() => { now = true; });
    expect(now).to.equal(true);
    await w.close();
  });

  it('reports a file that cannot be created and keeps accepting writes', async () => {
    const blocker = join(tmp.path, 'a-file');
    writeFileSync(blocker, '');
    const w = new BoundedFileWriter({ path: join(blocker, 'sub', 'here.cast'), log: silentLogger });
    expect(w.write('abc')).to.equal(true);
    await w.close();
    expect(w.failed).to.equal(true);
    expect(w.droppedBytes).to.equal(3);
    expect(w.write('more')).to.equal(false);
  });

  it('writes gathered small writes in order, and what is queued at close at once', async () => {
    const path = join(tmp.path, 'keys.cast');
    const w = new BoundedFileWriter({ path, log: silentLogger });
    for (const k of ['a', 'b', 'c']) w.write(k);
    let seen = '';
    for (let i = 0; i < 100 && seen !== 'abc'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      try { seen = readFileSync(path, 'utf8'); } catch { seen = ''; }
    }
    expect(seen).to.equal('abc');
    w.write('d');
    const closing = Date.now();
    await w.close();
    expect(readFileSync(path, 'utf8')).to.equal('abcd');
    expect(Date.now() - closing).to.be.below(1000);
  });

  it('writes text and bytes mixed, in order, counting text in UTF-8 bytes, in batches of at most 1 MiB', async () => {
    const path = join(tmp.path, 'mixed.cast');
    const w = new BoundedFileWriter({ path, log: silentLogger, maxQueuedBytes: 4 * 1024 * 1024 });
    const parts: (string | Buffer)[] = ['é✓', Buffer.from([0xe2, 0x9c, 0x93]), 'x'.repeat(700 * 1024), Buffer.alloc(700 * 1024, 0x79), 'z\n'];
    for (const p of parts) expect(w.write(p)).to.equal(true);
    await w.close();
    const expected = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
    expect(readFileSync(path).equals(expected)).to.equal(true);
    expect(w.seal()).to.deep.equal({ length: expected.length, sha256: createHash('sha256').update(expected).digest('hex') });
    // The bound counts bytes, not characters: 3 bytes of text do not fit in 2.
    const tiny = new BoundedFileWriter({ path: join(tmp.path, 'tiny.cast'), log: silentLogger, maxQueuedBytes: 2 });
    expect(tiny.write('✓')).to.equal(false);
    expect(tiny.droppedBytes).to.equal(3);
    await tiny.close();
  });

  it('gathers what arrives during a file write with what follows, instead of writing it at once', async () => {
    // Counts the file writes, each made slow (5 ms) so that chunks arrive while one is in flight.
    const probe = await open(join(tmp.path, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = proto.write;
    let writes = 0;
    proto.write = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
      writes++;
      await new Promise((r) => setTimeout(r, 5));
      return original.apply(this, args);
    };
    try {
      const path = join(tmp.path, 'typing.cast');
      const w = new BoundedFileWriter({ path, log: silentLogger });
      let expected = '';
      const start = Date.now();
      for (let i = 0; i < 60; i++) {
        w.write(`${i},`);
        expected += `${i},`;
        await new Promise((r) => setTimeout(r, 1));
      }
      const typed = Date.now() - start;
      await w.close();
      expect(readFileSync(path, 'utf8')).to.equal(expected);
      // One write per 20 ms gathering (each followed by its 5 ms write), plus the one at close;
      // written at once, what arrived during each write made a write every 5–6 ms.
      expect(writes).to.be.at.most(Math.floor(typed / 20) + 2);
    } finally {
      proto.write = original;
    }
  });

  describe('seals', () => {
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

    it('checkpoints a live recording beside it, then seals it at close', async () => {
      const path = join(tmp.path, 'live.cast');
      const rec = new CastRecorder({ path, mode: 'everything', width: 80, height: 24, log: silentLogger, sealIntervalMs: 20 });
      rec.output(Buffer.from('first\r\n'));
      let live = null;
      // Until a checkpoint covers what was written (writes gather for a few ms; an earlier one covers an empty file).
      for (let i = 0; i < 200 && !live?.length; i++) {
        await new Promise((r) => setTimeout(r, 10));
        try { live = parseSealFile(readFileSync(sealPath(path), 'utf8')); } catch { live = null; }
      }
      expect(live, 'a checkpoint while live').to.not.equal(null);
      expect(live?.final).to.equal(false);
      const before = readFileSync(path);
      expect(live?.length).to.equal(before.length);
      expect(live?.sha256).to.equal(sha(before));
      rec.output(Buffer.from('second\r\n'));
      const s = await rec.close();
      const after = readFileSync(path);
      const final = parseSealFile(readFileSync(sealPath(path), 'utf8'));
      expect(final).to.include({ final: true, length: after.length, sha256: sha(after) });
      expect(s.seal).to.deep.equal({ length: after.length, sha256: sha(after) });
      expect(statSync(sealPath(path)).mode & 0o777).to.equal(0o600);
    });

    it('hashes a reused file name from its first byte', async () => {
      const path = join(tmp.path, 'reused.cast');
      writeFileSync(path, 'old content\n');
      const w = new BoundedFileWriter({ path, log: silentLogger });
      w.write('new content\n');
      await w.close();
      expect(w.seal()).to.deep.equal({ length: 24, sha256: sha(readFileSync(path)) });
    });
  });
});
