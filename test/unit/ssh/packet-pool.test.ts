import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { aeadPacket, maxFreeSlots, packetPoolInstalled, packetSlotBytes, PacketSlots, patchCipherClass, pooledPacketMinBytes, releaseWrittenPackets, type CipherModule } from '../../../lib/ssh/packet-pool.js';

/** A Writable that holds every write until `flush` (so a write queues), or completes at once. */
function sink(hold: boolean): { stream: Writable; got: Buffer[]; flush: () => void } {
  const got: Buffer[] = [];
  const held: (() => void)[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      got.push(Buffer.from(chunk));
      if (hold) held.push(cb);
      else cb();
    },
  });
  return { stream, got, flush: () => { for (const cb of held.splice(0)) cb(); } };
}

describe('ssh/packet-pool', () => {
  it('is installed on ssh2 here (its native binding is built)', () => {
    expect(packetPoolInstalled).to.equal(true);
  });

  describe('aeadPacket', () => {
    for (const block of [16, 8]) {
      it(`lays out every payload length the SSH way (block ${String(block)}): aligned, 4 or more padding bytes, room for the tag`, () => {
        const slots = new PacketSlots();
        const wrong: number[] = [];
        for (let payload = 0; payload <= 33_000; payload++) {
          const p = aeadPacket(payload, block, slots);
          const afterLength = p.readUInt32BE(0);
          const pad = p[4] ?? -1;
          const ok = afterLength % block === 0 && pad >= 4 && pad <= 3 + block && afterLength === 1 + payload + pad && p.length === 4 + afterLength + 16;
          if (!ok) wrong.push(payload);
        }
        expect(wrong).to.deep.equal([]);
      });
    }

    it("matches ssh2's own allocation byte for byte outside the padding (a fresh process: ssh2 unpatched first)", () => {
      const script = [
        "import { createRequire } from 'node:module';",
        'const require = createRequire(import.meta.url);',
        "const m = require('ssh2/lib/protocol/crypto.js');",
        'const make = (name) => { const i = m.CIPHER_INFO[name]; const c = m.createCipher({ outbound: { onWrite() {}, cipherInfo: i, cipherKey: Buffer.alloc(i.keyLen), cipherIV: Buffer.alloc(i.ivLen), seqno: 0 } }); return c; };',
        "const names = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'];",
        'const before = names.map((n) => { const c = make(n); return c.allocPacket.bind(c); });',
        "const pool = await import('./lib/ssh/packet-pool.ts');",
        'if (!pool.packetPoolInstalled) throw new Error("not installed");',
        'const after = names.map((n) => { const c = make(n); return c.allocPacket.bind(c); });',
        'let checked = 0;',
        'for (let i = 0; i < names.length; i++) for (let len = 0; len <= 33000; len += len < 2000 ? 1 : 97) {',
        '  const a = before[i](len), b = after[i](len);',
        '  if (a.length !== b.length || a.readUInt32BE(0) !== b.readUInt32BE(0) || a[4] !== b[4]) throw new Error(`${names[i]} ${len}`);',
        '  checked++;',
        '}',
        'console.log(checked);',
      ].join('\n');
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
      expect(Number(out.trim())).to.be.greaterThan(3000);
    });
  });

  describe('patchCipherClass', () => {
    /** A cipher module whose one class allocates with `alloc`. */
    function fakeModule(alloc: (n: number) => Buffer): { m: CipherModule; proto: { allocPacket: (n: number) => Buffer } } {
      class Fake { allocPacket(n: number): Buffer { return alloc(n); } }
      const m: CipherModule = { bindingAvailable: true, CIPHER_INFO: { x: { keyLen: 16, ivLen: 12 } }, createCipher: () => new Fake() };
      return { m, proto: Fake.prototype };
    }

    it('patches a class that lays packets out as aeadPacket does', () => {
      const { m, proto } = fakeModule((n) => aeadPacket(n, 16, new PacketSlots()));
      const before = proto.allocPacket;
      expect(patchCipherClass(m, 'x', 16)).to.equal(true);
      expect(proto.allocPacket).to.not.equal(before);
    });

    it('leaves alone a class that lays them out otherwise (a tag sent apart), and an unknown cipher', () => {
      const { m, proto } = fakeModule((n) => aeadPacket(n, 16, new PacketSlots()).subarray(0, -16));
      const before = proto.allocPacket;
      expect(patchCipherClass(m, 'x', 16)).to.equal(false);
      expect(proto.allocPacket).to.equal(before);
      expect(patchCipherClass(m, 'unknown', 16)).to.equal(false);
    });
  });

  describe('PacketSlots', () => {
    it('hands out slots only for packets in the pooled range', () => {
      const slots = new PacketSlots();
      for (const n of [0, 100, pooledPacketMinBytes - 1, packetSlotBytes + 1]) {
        slots.give(slots.take(n));
      }
      expect(slots.stats()).to.deep.equal({ free: 0, made: 0 });
      const b = slots.take(pooledPacketMinBytes);
      expect(b.length).to.equal(pooledPacketMinBytes);
      expect(b.buffer.byteLength).to.equal(packetSlotBytes);
      expect(slots.stats()).to.deep.equal({ free: 0, made: 1 });
    });

    it('reuses a given slot, lists a slot given twice only once, and ignores what is not a whole slot of its own', () => {
      const slots = new PacketSlots();
      const a = slots.take(32_800);
      slots.give(a);
      slots.give(a);
      slots.give(a.subarray(16));
      slots.give(new PacketSlots().take(32_800));
      slots.give(Buffer.allocUnsafe(32_800));
      expect(slots.stats()).to.deep.equal({ free: 1, made: 1 });
      const b = slots.take(30_000);
      expect(b.buffer).to.equal(a.buffer);
      const c = slots.take(30_000);
      expect(c.buffer).not.to.equal(a.buffer);
      expect(slots.stats()).to.deep.equal({ free: 0, made: 2 });
    });

    it(`keeps at most ${String(maxFreeSlots)} free slots`, () => {
      const slots = new PacketSlots();
      const taken = Array.from({ length: maxFreeSlots + 10 }, () => slots.take(32_000));
      for (const b of taken) slots.give(b);
      expect(slots.stats()).to.deep.equal({ free: maxFreeSlots, made: maxFreeSlots + 10 });
    });
  });

  describe('releaseWrittenPackets', () => {
    it('gives a slot back when its write finished at once, and not while it waits to be sent', () => {
      const slots = new PacketSlots();
      const now = sink(false);
      releaseWrittenPackets(now.stream, slots);
      const a = slots.take(32_000);
      now.stream.write(a);
      expect(slots.stats().free).to.equal(1);

      const later = sink(true);
      releaseWrittenPackets(later.stream, slots);
      const b = slots.take(32_000);
      later.stream.write(b);
      expect(later.stream.writableLength).to.be.greaterThan(0);
      expect(slots.stats().free).to.equal(0);
      later.flush();
      expect(slots.stats().free).to.equal(0);
    });

    it('leaves writes of anything else alone', () => {
      const slots = new PacketSlots();
      const s = sink(false);
      releaseWrittenPackets(s.stream, slots);
      s.stream.write('text');
      s.stream.write(Buffer.from('bytes'));
      expect(s.got.map((b) => b.toString())).to.deep.equal(['text', 'bytes']);
      expect(slots.stats()).to.deep.equal({ free: 0, made: 0 });
    });

    it('never reuses a slot whose bytes a real socket still holds: a reader that stops gets every packet intact', async () => {
      const slots = new PacketSlots();
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const accepted = new Promise<Socket>((r) => server.once('connection', r));
      const writer = connect(port, '127.0.0.1');
      await new Promise((r) => writer.once('connect', r));
      const reader = await accepted;
      try {
        reader.pause();
        releaseWrittenPackets(writer, slots);
        const packets = 400;
        const size = 32_768;
        // Each packet filled with its own number: a reused slot overwritten before it was sent would show up as a wrong byte.
        for (let i = 0; i < packets; i++) {
          const p = slots.take(size);
          p.fill(i % 251);
          writer.write(p);
        }
        expect(writer.writableLength, 'the reader stopped: writes queued').to.be.greaterThan(0);
        const chunks: Buffer[] = [];
        let received = 0;
        const all = new Promise<void>((r) => {
          reader.on('data', (c: Buffer) => { chunks.push(c); received += c.length; if (received >= packets * size) r(); });
        });
        reader.resume();
        await all;
        const data = Buffer.concat(chunks);
        for (let i = 0; i < packets; i++) {
          const want = i % 251;
          const part = data.subarray(i * size, (i + 1) * size);
          expect(part.every((b) => b === want), `packet ${String(i)}`).to.equal(true);
        }
      } finally {
        writer.destroy();
        reader.destroy();
        await new Promise((r) => server.close(r));
      }
    });
  });
});
