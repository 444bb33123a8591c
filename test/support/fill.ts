import type { ClientChannel } from 'ssh2';

/** Writes into `ch` until it takes nothing more for `quietMs` (its window and the portal's buffers are full), or it closes. */
export function fillChannel(ch: ClientChannel, quietMs: number): Promise<void> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(32 * 1024, 0x61);
    let last = Date.now();
    const push = (): void => {
      last = Date.now();
      while (ch.writable && ch.write(chunk)) last = Date.now();
    };
    ch.on('drain', push);
    ch.on('error', () => undefined);
    push();
    const t = setInterval(() => {
      if (Date.now() - last > quietMs || !ch.writable) { clearInterval(t); resolve(); }
    }, 100);
  });
}
