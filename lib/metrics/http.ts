/**
 * The `/metrics` HTTP endpoint (`--metrics-address`): a plain node:http server
 * owned by the App and closed by it.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
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

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Serves `GET /metrics` from `registry`; every other path is 404. */
export class MetricsServer {
  readonly #http: Server;
  readonly #sockets = new Set<Socket>();

  constructor(registry: Registry, log: Logger) {
    this.#http = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') return reply(res, 404, 'text/plain', 'not found; try /metrics\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n');
      registry.metrics().then(
        (text) => reply(res, 200, registry.contentType, text),
        (err: unknown) => {
          log.warn('metrics collection failed', { err });
          reply(res, 500, 'text/plain', 'metrics collection failed\n');
        },
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
