/**
 * Recording seals: the length and SHA-256 of a recording file, written beside
 * it as `FILE.seal` (JSON) at checkpoints and at close, so the file itself stays
 * a plain asciicast that `asciinema play` opens. The session row keeps the final
 * seal; the verifier compares the file with it.
 */

/** Length and hash of a file's bytes. */
export interface Seal {
  length: number;
  /** Hex SHA-256 of the first `length` bytes. */
  sha256: string;
}

/** The seal of one recording file, as a session row stores it. */
export interface RecordingSeal extends Seal {
  path: string;
}

/** Contents of a `.seal` sidecar. */
export interface SealFile extends Seal {
  version: 1;
  /** Whether the recording was closed (false: a checkpoint of a live recording). */
  final: boolean;
  at: string;
}

/** Path of the sidecar of `path`. */
export function sealPath(path: string): string {
  return `${path}.seal`;
}

/** Encodes a sidecar (pure). */
export function encodeSealFile(seal: Seal, final: boolean, at: Date): string {
  const f: SealFile = { version: 1, length: seal.length, sha256: seal.sha256, final, at: at.toISOString() };
  return JSON.stringify(f) + '\n';
}

function isSeal(v: unknown): v is Seal {
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null && Number.isSafeInteger(o.length) && (o.length as number) >= 0 &&
    typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256);
}

/** Parses a sidecar; null when it is not one. */
export function parseSealFile(text: string): SealFile | null {
  try {
    const v: unknown = JSON.parse(text);
    if (!isSeal(v)) return null;
    const o = v as unknown as Record<string, unknown>;
    return o.version === 1 && typeof o.final === 'boolean' && typeof o.at === 'string' ? (v as SealFile) : null;
  } catch {
    return null;
  }
}

/** Parses a session row's `seals` column; null when it is absent or malformed. */
export function parseSessionSeals(text: string | null): RecordingSeal[] | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return null;
    const out: RecordingSeal[] = [];
    for (const x of v) {
      if (!isSeal(x) || typeof (x as { path?: unknown }).path !== 'string') return null;
      out.push({ path: (x as RecordingSeal).path, length: x.length, sha256: x.sha256 });
    }
    return out;
  } catch {
    return null;
  }
}
