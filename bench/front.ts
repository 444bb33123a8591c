/**
 * The relay under benchmark, in its own process (as in production): an ssh2
 * front server calling attachRelay, configured by a JSON argument. Talks to
 * the orchestrator over IPC: sends `{ port }` when listening, answers
 * `{ rss: true }` with its RSS (after a GC), stops on `{ stop: true }`.
 */
import { startFront, hopTo, relayOptions } from '../test/integration/relay/harness.js';
import { serveBenchIpc } from './child.js';
import type { TestKey } from '../test/support/keys.js';
import type { SshdTarget } from '../test/support/sshd.js';

interface FrontConfig {
  hostKey: TestKey;
  portalKey: TestKey;
  target: Pick<SshdTarget, 'host' | 'port' | 'user' | 'hostKey'>;
  recordingDir: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as FrontConfig;
const target = { ...cfg.target, home: '', dir: '', logs: () => '', stop: () => Promise.resolve() };
let n = 0;
const front = await startFront(cfg.hostKey, () =>
  relayOptions({ chain: [hopTo(target, cfg.portalKey)], recording: { mode: 'everything', dir: cfg.recordingDir, baseName: `bench-${++n}` } }),
);
serveBenchIpc(front.port, () => front.close());
