import { expect } from 'chai';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { createLogger } from '../../../lib/log.js';
import { metricsCacheMs, MetricsServer } from '../../../lib/metrics/http.js';
import { closedWithin, waitFor } from '../../support/wait.js';

/** A registry stand-in counting its collections; each answers `n <collection number>` after `delayMs`. */
class CountingRegistry {
  readonly contentType = 'text/plain; version=0.0.4; charset=utf-8';
  collections = 0;
  delayMs = 0;
  fail = false;
  async metrics(): Promise<string> {
    const n = ++this.collections;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.fail) throw new Error('boom');
    // About the size of the portal's real exposition (~10 KB).
    return `n ${n}\n${'# padding\n'.repeat(1_000)}`;
  }
}

interface Answer { status: number; body: string; reused: boolean }

/** One request with node:http (through `agent`, or a fresh connection). */
function get(port: number, opts: { agent?: Agent; path?: string; method?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: opts.path ?? '/metrics', method: opts.method ?? 'GET', agent: opts.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const firstLine = (a: Answer): string => a.body.split('\n')[0] ?? '';

describe('metrics endpoint: shared collections, no pipelining', function () {
  this.timeout(30_000);
  let registry: CountingRegistry;
  let server: MetricsServer;
  let port: number;
  const warnings: string[] = [];
  const sockets: Socket[] = [];

  beforeEach(async () => {
    registry = new CountingRegistry();
    warnings.length = 0;
    const log = createLogger({ level: 'warn', sink: (l) => warnings.push(l) });
    server = new MetricsServer(registry as unknown as Registry, log);
    port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server.close();
  });

  it('500 pipelined requests on a socket that never reads: at most 2 collections, the socket destroyed, a normal GET still served', async () => {
    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    s.on('error', () => undefined);
    s.pause(); // never reads: every answer would have to be held by the server
    await new Promise((r) => s.once('connect', r));
    await new Promise((r) => s.write('GET /metrics HTTP/1.1\r\nHost:x\r\n\r\n'.repeat(500), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(registry.collections).to.be.at.most(2);
    // Reading now: the server closed it, having written at most the first answer.
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.resume();
    expect(await closedWithin(s, 5_000)).to.not.equal(null);
    expect(got.split('HTTP/1.1 ').length - 1).to.be.at.most(1);
    expect(registry.collections).to.be.at.most(2);
    const a = await get(port);
    expect(a.status).to.equal(200);
    expect(firstLine(a)).to.match(/^n [12]$/);
  });

  it('a keep-alive client sending its next request after the answer is not cut, and 50 GETs within the window cost 1 collection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const t0 = performance.now();
      const answers: Answer[] = [];
      for (let i = 0; i < 50; i++) answers.push(await get(port, { agent }));
      const elapsed = performance.now() - t0;
      expect(elapsed, 'the 50 GETs must fit in the window for this test to mean anything').to.be.below(metricsCacheMs);
      expect(answers.map((a) => a.status)).to.deep.equal(Array<number>(50).fill(200));
      expect(answers.slice(1).every((a) => a.reused), 'one keep-alive connection').to.equal(true);
      expect(new Set(answers.map(firstLine))).to.deep.equal(new Set(['n 1']));
      expect(registry.collections).to.equal(1);
    } finally {
      agent.destroy();
    }
  });

  it('a GET after the window gets a fresh collection', async () => {
    expect(firstLine(await get(port))).to.equal('n 1');
    expect(firstLine(await get(port))).to.equal('n 1');
    await new Promise((r) => setTimeout(r, metricsCacheMs + 100));
    expect(firstLine(await get(port))).to.equal('n 2');
    expect(registry.collections).to.equal(2);
  });

  it('concurrent GETs from several connections share the one collection in flight', async () => {
    registry.delayMs = 300;
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(port)));
    expect(answers.map((a) => `${a.status} ${firstLine(a)}`)).to.deep.equal(Array<string>(10).fill('200 n 1'));
    expect(registry.collections).to.equal(1);
  });

  it('a failed collection answers 500 to the requests sharing it and is logged once', async () => {
    registry.fail = true;
    registry.delayMs = 100;
    const answers = await Promise.all(Array.from({ length: 5 }, () => get(port)));
    answers.push(await get(port));
    expect(answers.map((a) => a.status)).to.deep.equal(Array<number>(6).fill(500));
    expect(registry.collections).to.equal(1);
    await waitFor(() => warnings.length > 0, 2_000, 'the warning');
    expect(warnings.filter((l) => l.includes('metrics collection failed'))).to.have.length(1);
  });

  it('keeps 404, 405 and HEAD', async () => {
    expect((await get(port, { path: '/' })).status).to.equal(404);
    expect((await get(port, { method: 'POST' })).status).to.equal(405);
    const head = await get(port, { method: 'HEAD' });
    expect([head.status, head.body]).to.deep.equal([200, '']);
    expect((await get(port, { path: '/metrics?x=1' })).status).to.equal(200);
  });
});
