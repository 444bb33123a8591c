import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temp directory with a cleanup function. */
export interface TempDir {
  path: string;
  remove(): void;
}

/** A fresh private temporary directory and its remover. */
export function tempDir(prefix = 'sshportal-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
