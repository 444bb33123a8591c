/**
 * The `/metrics` HTTP endpoint (`--metrics-address`): a plain node:http server
 * owned by the App and closed by it.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { ListenAddress } from '../config/bind-address.js';
import type { Logger } from '../log.js';

/** Scrapers served at once: past it new connections are closed at once (the portal's descriptors are for SSH). */
export const maxMetricsConnections = 32;
/** A metrics connection idle this long (no request, or a request that never completes) is closed. */
export const metricsIdleMs = 10_000;
/** While connections are dropped, one log line per this period. */
const dropLogEveryMs = 60_000;
/**
 * A collection's outcome (its text, or its failure) is served to every request
 * arriving within this long after it completed, and at most one collection is
 * in flight: however many scrapers and requests, the synchronous work of
 * `registry.metrics()` (prom-client's default metrics read /proc/self/fd and
 * more, on the event loop that serves SSH) runs about once per this period at
 * most. Prometheus scrapes every 15 s or more, so this staleness is invisible
 * to it; a person running curl twice within a second sees the same numbers.
 */
export const metricsCacheMs = 1_000;

/**
 * `collect` shared by its callers: one pending promise while a collection
 * runs, then its settled promise reused for `metricsCacheMs` after it settled.
 * The window counts from the end, not the start, so even a slow collection
 * leaves the loop free for at least `metricsCacheMs` between two.
 */
class SharedCollection {
  readonly #collect: () => Promise<string>;
  #current: Promise<string> | null = null;
  /** When `#current` stops being served: Infinity while it is pending. */
  #until = -Infinity;

  constructor(collect: () => Promise<string>) {
    this.#collect = collect;
  }

  get(): Promise<string> {
    if (this.#current && performance.now() < this.#until) return this.#current;
    const p = this.#collect();
    this.#current = p;
    this.#until = Infinity;
    const settled = (): void => {
      if (this.#current === p) this.#until = performance.now() + metricsCacheMs;
    };
    p.then(settled, settled);
    return p;
  }
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Serves `GET /metrics` from `registry` (collections shared, see
 * `metricsCacheMs`); every other path is 404. A connection that sends a
 * request before the response to its previous one is finished (HTTP
 * pipelining, which Prometheus and curl never do) is destroyed: node:http
 * dispatches every request of a received chunk before it stops reading, and
 * holds each response until the ones before it are written, so a client that
 * pipelines without reading could make it queue thousands.
 */
export class MetricsServer {
  readonly #http: Server;
  readonly #sockets = new Set<Socket>();
  /** Connections with a request whose response is not finished yet. */
  readonly #busy = new WeakSet<Socket>();

  constructor(registry: Registry, log: Logger) {
    const metrics = new SharedCollection(() =>
      registry.metrics().catch((err: unknown) => {
        log.warn('metrics collection failed', { err });
        throw err;
      }),
    );
    this.#http = createServer((req, res) => {
      const socket = req.socket;
      // The rest of a pipelined chunk is still dispatched after the destroy below: drop it unanswered.
      if (socket.destroyed) return;
      if (this.#busy.has(socket)) {
        socket.destroy();
        return;
      }
      this.#busy.add(socket);
      const done = (): void => {
        this.#busy.delete(socket);
      };
      res.once('finish', done);
      res.once('close', done);
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') return reply(res, 404, 'text/plain', 'not found; try /metrics\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n');
      metrics.get().then(
        (text) => reply(res, 200, registry.contentType, text),
        () => reply(res, 500, 'text/plain', 'metrics collection failed\n'),
      );
    });
    // Without these a client could hold any number of idle sockets, each a descriptor the SSH side needs.
    this.#http.maxConnections = maxMetricsConnections;
    this.#http.setTimeout(metricsIdleMs);
    this.#http.headersTimeout = metricsIdleMs;
    this.#http.requestTimeout = metricsIdleMs;
    let lastDropLog = -Infinity;
    this.#http.on('drop', () => {
      if (Date.now() - lastDropLog < dropLogEveryMs) return;
      lastDropLog = Date.now();
      log.warn('metrics endpoint: too many connections, dropping new ones', { max: maxMetricsConnections });
    });
    this.#http.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.once('close', () => this.#sockets.delete(s));
    });
  }

  /** Starts listening; resolves with the bound address. */
  listen(addr: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(addr.port, addr.host, () => {
        this.#http.off('error', reject);
        resolve(this.#http.address() as AddressInfo);
      });
    });
  }

  /** The bound address. */
  address(): AddressInfo {
    return this.#http.address() as AddressInfo;
  }

  /** Stops listening and ends keep-alive connections of scrapers. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#http.close(() => resolve());
      for (const s of this.#sockets) s.destroy();
    });
  }
}
