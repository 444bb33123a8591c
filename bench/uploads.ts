/**
 * Upload measurements shared by the portal benchmark and the CI gate: MB/s of
 * `head -c N | ssh … 'cat > /dev/null'`, the CPU of the portal process during
 * it (over IPC) and the CPU of the measured `ssh` client (`/usr/bin/time`).
 */
import { readFileSync } from 'node:fs';
import type { BenchProcess } from './child.js';
import { median, timed } from './measure.js';

/** The cipher every path uses (the portal's default offer; OpenSSH would pick chacha20 otherwise). */
export const CIPHER = 'aes128-gcm@openssh.com';

/** OpenSSH client options of every measured path (no config, no prompts, one key). */
export function sshOpts(keyPath: string): string[] {
  return ['-F', '/dev/null', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'BatchMode=yes',
    '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-c', CIPHER, '-i', keyPath];
}

/** One upload's figures. */
export interface UploadFigures {
  mbps: number;
  /** CPU seconds of the portal process per GiB moved. */
  portalCpuPerGiB: number;
  /** CPU seconds of the `ssh` client per GiB moved (one OpenSSH transport). */
  clientCpuPerGiB: number;
}

/** One upload of `mb` MiB through `sshCmd` (a shell command line, ending with the destination). */
async function uploadOnce(portal: BenchProcess, sshCmd: string, mb: number, cpuFile: string): Promise<UploadFigures> {
  const c0 = await portal.cpu();
  const ms = await timed(`dd if=/dev/zero bs=1M count=${mb} status=none | /usr/bin/time -o ${cpuFile} -f '%U %S' ${sshCmd} 'cat > /dev/null'`);
  const c1 = await portal.cpu();
  const client = readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0);
  return { mbps: (mb * 1000) / ms, portalCpuPerGiB: ((c1 - c0) * 1024) / mb, clientCpuPerGiB: (client * 1024) / mb };
}

/** The medians of each figure. */
function medians(xs: readonly UploadFigures[]): UploadFigures {
  return { mbps: median(xs.map((x) => x.mbps)), portalCpuPerGiB: median(xs.map((x) => x.portalCpuPerGiB)), clientCpuPerGiB: median(xs.map((x) => x.clientCpuPerGiB)) };
}

/**
 * `runs` uploads of `mb` MiB through `sshCmd` (a shell command line, ending with
 * the destination); medians of each figure.
 */
export async function uploads(portal: BenchProcess, sshCmd: string, mb: number, runs: number, cpuFile: string): Promise<UploadFigures> {
  const all: UploadFigures[] = [];
  for (let i = 0; i < runs; i++) all.push(await uploadOnce(portal, sshCmd, mb, cpuFile));
  return medians(all);
}

/**
 * The same through each of `sshCmds`, taken in turn — run i uploads through
 * every path, starting with a different one each time — so that a slower
 * stretch of this shared machine falls on all of them alike rather than on
 * whichever path it measured then. Medians per path, in the order given.
 */
export async function interleavedUploads(portal: BenchProcess, sshCmds: readonly string[], mb: number, runs: number, cpuFile: string): Promise<UploadFigures[]> {
  const all = sshCmds.map((): UploadFigures[] => []);
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < sshCmds.length; j++) {
      const k = (i + j) % sshCmds.length;
      all[k]?.push(await uploadOnce(portal, sshCmds[k] ?? '', mb, cpuFile));
    }
  }
  return all.map(medians);
}
