/**
 * Recognizes the exec commands that copy files: `scp -t`/`scp -f` (legacy
 * scp, `scp -O`, in sink or source mode), `rsync --server` and a directly
 * executed `sftp-server`. Pure.
 */

/** How a policy sees an exec command. */
export type CommandClass =
  | { kind: 'exec' }
  /** `plain`: the command line holds no shell syntax, so the target runs just that tool. */
  | { kind: 'file-copy'; tool: 'scp' | 'rsync' | 'sftp'; plain: boolean };

/** Characters a plain command line may hold outside single quotes (no separators, expansions, redirections). */
const PLAIN = /^[A-Za-z0-9 \t_.,:@%+=~/-]*$/;

function isPlain(command: string): boolean {
  const unquoted = command.replace(/'[^'\n]*'/g, '');
  return PLAIN.test(unquoted);
}

/**
 * Where a copy tool may be named by path: system directories a user cannot
 * write to. `./rsync --server` or `~/bin/scp -t` could be any program the user
 * uploaded under that name (with `--exec=no --file-copy=yes`, a way to run
 * commands); a bare name is the target's own tool, found on its PATH.
 */
const systemDirs: readonly string[] = ['/usr/bin/', '/bin/', '/usr/local/bin/', '/usr/sbin/', '/usr/lib/openssh/', '/usr/libexec/openssh/', '/usr/libexec/', '/usr/lib/ssh/'];

/** Whether `first` names a tool by its bare name or directly inside one of {@link systemDirs}. */
function trustedLocation(first: string): boolean {
  if (!first.includes('/')) return true;
  return systemDirs.some((d) => first.startsWith(d) && !first.slice(d.length).includes('/'));
}

function tool(tokens: readonly string[]): 'scp' | 'rsync' | 'sftp' | undefined {
  const first = tokens[0] ?? '';
  if (!trustedLocation(first)) return undefined;
  const base = first.slice(first.lastIndexOf('/') + 1);
  const rest = tokens.slice(1);
  // scp in server mode: a short-option cluster holding t (sink) or f (source), e.g. `-t`, `-r -t`, `-prt`.
  if (base === 'scp' && rest.some((t) => /^-[A-Za-z0-9]*[tf][A-Za-z0-9]*$/.test(t))) return 'scp';
  if (base === 'rsync' && rest.includes('--server')) return 'rsync';
  if (base === 'sftp-server') return 'sftp';
  return undefined;
}

/** Classifies an exec command line. */
export function classifyCommand(command: string): CommandClass {
  const tokens = command.trim().split(/[ \t]+/);
  const t = tool(tokens);
  return t === undefined ? { kind: 'exec' } : { kind: 'file-copy', tool: t, plain: isPlain(command) };
}
