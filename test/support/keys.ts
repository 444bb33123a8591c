/**
 * Test keys: ed25519 key pairs generated with ssh-keygen into a temp dir
 * (private key chmod 600), in OpenSSH format that both OpenSSH and ssh2 read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';

/** A generated key pair. */
export interface TestKey {
  /** Path of the private key file (mode 600). */
  path: string;
  /** Private key text. */
  privateKey: string;
  /** Public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey: string;
}

/** Generates an ed25519 key pair at `path` (and `path.pub`). */
export function generateKey(path: string, comment = 'sshportal-test'): TestKey {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], { stdio: 'ignore' });
  chmodSync(path, 0o600);
  return { path, privateKey: readFileSync(path, 'utf8'), publicKey: readFileSync(`${path}.pub`, 'utf8').trim() };
}

export { tempDir, type TempDir } from './tmp.js';

/** The `type base64` part of a public key line. */
export function keyTypeAndData(publicKey: string): string {
  return publicKey.split(/\s+/).slice(0, 2).join(' ');
}
