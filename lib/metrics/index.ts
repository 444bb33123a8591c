/** Observability: the metrics interface the server calls, and the Prometheus endpoint. */
export { createPromMetrics, noopMetrics, type ByteSource, type ConnectionKind, type Metrics, type PromMetrics } from './metrics.js';
export { MetricsServer } from './http.js';
