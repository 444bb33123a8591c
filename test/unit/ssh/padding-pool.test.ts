import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { pooledFillMaxBytes, pooledRandomFill, poolBytes } from '../../../lib/ssh/padding-pool.js';

/** A deterministic "CSPRNG": the n-th byte it ever produces is n mod 251; counts its calls. */
function countingSource(): { fill: typeof crypto.randomFillSync; calls: number[] } {
  let next = 0;
  const calls: number[] = [];
  const fill = (<T extends NodeJS.ArrayBufferView>(buf: T, offset = 0, size?: number): T => {
    const n = size ?? buf.byteLength - offset;
    calls.push(n);
    const view = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < n; i++) view[offset + i] = next++ % 251;
    return buf;
  }) as typeof crypto.randomFillSync;
  return { fill, calls };
}

describe('ssh/padding-pool', () => {
  it('serves small fills from one pool refill, each source byte handed out once, in order', () => {
    const src = countingSource();
    const fill = pooledRandomFill(src.fill);
    const a = Buffer.alloc(32);
    fill(a, 10, 4);
    fill(a, 20, 12);
    expect(src.calls).to.deep.equal([poolBytes]);
    expect([...a.subarray(10, 14)]).to.deep.equal([0, 1, 2, 3]);
    expect([...a.subarray(20, 32)]).to.deep.equal([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(a.subarray(0, 10).every((b) => b === 0)).to.equal(true);
  });

  it('refills when the pool runs out instead of reusing bytes', () => {
    const src = countingSource();
    const fill = pooledRandomFill(src.fill);
    const b = Buffer.alloc(16);
    for (let used = 0; used + 16 <= poolBytes; used += 16) fill(b, 0, 16);
    expect(src.calls).to.deep.equal([poolBytes]);
    fill(b, 0, 16);
    expect(src.calls).to.deep.equal([poolBytes, poolBytes]);
    expect(b[0]).to.equal(poolBytes % 251);
  });

  for (const [name, run] of [
    ['fills larger than the pooled size', (f: typeof crypto.randomFillSync) => f(Buffer.alloc(1024), 0, pooledFillMaxBytes + 1)],
    ['whole-buffer fills of large buffers', (f: typeof crypto.randomFillSync) => f(Buffer.alloc(4096))],
    ['typed arrays that are not Buffers', (f: typeof crypto.randomFillSync) => f(new Uint32Array(4))],
    ['ranges outside the buffer (the source reports the error)', (f: typeof crypto.randomFillSync) => f(Buffer.alloc(8), 4, 8)],
  ] as const) {
    it(`passes ${name} straight to the source`, () => {
      const calls: unknown[][] = [];
      const source = ((...args: unknown[]) => { calls.push(args); return args[0]; }) as unknown as typeof crypto.randomFillSync;
      run(pooledRandomFill(source));
      expect(calls).to.have.length(1);
    });
  }

  it('installs only for ssh2 when imported before ssh2, leaving crypto.randomFillSync untouched', () => {
    // A fresh process: here ssh2 is long loaded by other tests.
    const script = [
      "const before = (await import('node:crypto')).default.randomFillSync;",
      "const m = await import('./lib/ssh/padding-pool.ts');",
      "const after = (await import('node:crypto')).default.randomFillSync;",
      "const again = await import('./lib/ssh/padding-pool.ts');",
      "console.log(JSON.stringify({ installed: m.paddingPoolInstalled, same: before === after, once: again === m }));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim())).to.deep.equal({ installed: true, same: true, once: true });
  });
});
