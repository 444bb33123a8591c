import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { LiveHub } from '../../../lib/live/hub.js';
import { noPtyMessage, tooManyViewersMessage } from '../../../lib/live/words.js';
import type { LivePtyOwner } from '../../../lib/proxy/types.js';

class Sink extends EventEmitter {
  out = '';
  write(d: Buffer | string): boolean { this.out += d.toString(); return true; }
}

function owner(): LivePtyOwner & { lines: string[]; marks: string[]; typed: string[] } {
  const o = {
    cols: 80, rows: 24, lines: [] as string[], marks: [] as string[], typed: [] as string[],
    input: (d: Buffer) => { o.typed.push(d.toString()); return true; },
    notify: (l: string) => { o.lines.push(l); },
    marker: (l: string) => { o.marks.push(l); },
  };
  return o;
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('live: hub', () => {
  it('tells the owner (line and marker) when viewers come and go, counts them, and ends them with the session', async () => {
    const hub = new LiveHub({ maxPendingBytes: 1 << 16, feedDelayMs: 5 });
    const o = owner();
    const tap = hub.register(7, o);
    tap.output(Buffer.from('hello\r\n'));
    expect(hub.attach(8, { mode: 'watch', viewer: 'bob', cols: 80, rows: 24 }, new Sink())).to.equal(null);
    const sink = new Sink();
    const w = hub.attach(7, { mode: 'watch', viewer: 'bob', cols: 80, rows: 24 }, sink);
    const j = hub.attach(7, { mode: 'join', viewer: 'ann', cols: 100, rows: 30 }, new Sink());
    expect(hub.watchers(7)).to.equal(2);
    await tick();
    expect(sink.out).to.include('hello');
    tap.output(Buffer.from('live'));
    expect(sink.out.endsWith('live')).to.equal(true);
    w?.input(Buffer.from('rm -rf /\r'));
    j?.input(Buffer.from('ls\r'));
    expect(o.typed).to.deep.equal(['ls\r']);
    w?.leave();
    w?.leave();
    expect(hub.watchers(7)).to.equal(1);
    expect(o.lines).to.deep.equal(['bob started watching this session', 'ann joined this session', 'bob stopped watching this session']);
    expect(o.marks).to.deep.equal(o.lines);
    let ended = false;
    void j?.ended.then(() => { ended = true; });
    tap.close();
    await tick();
    expect(ended).to.equal(true);
    expect(hub.refusal(7, 'n1')).to.equal(noPtyMessage(7, 'n1'));
    expect(hub.watchers(7)).to.equal(0);
  });

  it('takes as many viewers as its cap, refuses the next with the reason, and takes one again once a viewer left', () => {
    const hub = new LiveHub(undefined, 3);
    const tap = hub.register(5, owner());
    const opts = { mode: 'watch' as const, viewer: 'bob', cols: 80, rows: 24 };
    expect(hub.refusal(5, 'n1')).to.equal(null);
    const first = hub.attach(5, opts, new Sink());
    hub.attach(5, { ...opts, mode: 'join' }, new Sink());
    hub.attach(5, opts, new Sink());
    expect(hub.refusal(5, 'n1')).to.equal(tooManyViewersMessage(5, 3));
    expect(hub.attach(5, opts, new Sink()), 'a fourth viewer').to.equal(null);
    expect(hub.watchers(5)).to.equal(3);
    first?.leave();
    expect(hub.refusal(5, 'n1')).to.equal(null);
    expect(hub.attach(5, opts, new Sink())).to.not.equal(null);
    tap.close();
  });

  it('warns a smaller viewer once, before its view', async () => {
    const hub = new LiveHub();
    const tap = hub.register(1, owner());
    const sink = new Sink();
    hub.attach(1, { mode: 'watch', viewer: 'bob', cols: 60, rows: 24 }, sink);
    await tick();
    expect(sink.out.startsWith("warning: your terminal (60x24) is smaller than the session's (80x24)")).to.equal(true);
    tap.close();
  });
});
