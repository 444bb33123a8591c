import { readFileSync } from 'node:fs';

/** The portal's version, from package.json (found from both the sources and dist/). */
export function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (pkg && typeof pkg === 'object' && 'name' in pkg && pkg.name === 'sshportal' && 'version' in pkg) return String(pkg.version);
    } catch {
      // try the next location
    }
  }
  return 'unknown';
}
