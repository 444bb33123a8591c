/**
 * What an ACL allows inside a session (spec "What an ACL allows inside a
 * session"): shell, exec, file copy, local and remote forwarding, agent and
 * X11 forwarding. The decisive ACL supplies the policy; this module decides
 * one request against it. Pure: plain data in, plain data out.
 */
import { InvalidArgumentError, quoted } from '../errors.js';
import { classifyCommand } from './commands.js';
import { globMatch } from './glob.js';

/** The stored form of a policy: option values as the admin typed them (normalized). */
export interface PolicyOptions {
  shell: string;
  exec: string;
  fileCopy: string;
  localForward: string;
  remoteForward: string;
  agentForward: string;
  x11: string;
}

/** The defaults: today's behaviour, everything allowed. */
export const POLICY_DEFAULTS: Readonly<PolicyOptions> = Object.freeze({
  shell: 'yes', exec: 'yes', fileCopy: 'yes', localForward: 'any', remoteForward: 'any', agentForward: 'yes', x11: 'yes',
});

/** Option names as the shell spells them, in display order. */
export const POLICY_FLAGS: ReadonlyArray<readonly [keyof PolicyOptions, string]> = [
  ['shell', 'shell'], ['exec', 'exec'], ['fileCopy', 'file-copy'], ['localForward', 'local-forward'],
  ['remoteForward', 'remote-forward'], ['agentForward', 'agent-forward'], ['x11', 'x11'],
];

/** One `host:port` entry of a forwarding list. */
export interface ForwardPattern { host: string; port: string }

/** A forwarding rule: everything, nothing, or a list of `host:port` patterns. */
export type ForwardRule = { kind: 'any' } | { kind: 'none' } | { kind: 'list'; patterns: readonly ForwardPattern[] };

/** A policy ready for decisions. */
export interface SessionPolicy {
  shell: boolean;
  exec: boolean;
  fileCopy: boolean;
  localForward: ForwardRule;
  remoteForward: ForwardRule;
  agentForward: boolean;
  x11: boolean;
}

/** The policy and the ACL it came from (null: no ACL decided, e.g. the hook allowed; defaults then). */
export interface DecisivePolicy { aclId: number | null; options: PolicyOptions; policy: SessionPolicy }

/** What a client asks for inside a session. */
export type PolicyRequest =
  | { kind: 'shell' }
  | { kind: 'exec'; command: string }
  | { kind: 'subsystem'; name: string }
  | { kind: 'local-forward'; host: string; port: number }
  | { kind: 'local-forward-socket'; path: string }
  | { kind: 'remote-forward'; host: string; port: number }
  | { kind: 'remote-forward-socket'; path: string }
  | { kind: 'agent-forward' }
  | { kind: 'x11' };

/** The answer: `what` names the request for events; `reason` is the one line the client sees. */
export type PolicyVerdict = { allowed: true; what: string } | { allowed: false; what: string; reason: string };

const MAX_LIST = 1024;
const MAX_ENTRIES = 64;

/** Parses `yes`/`no` for option `flag` (throws a one-line error). */
export function parseYesNo(flag: string, value: string): 'yes' | 'no' {
  const v = value.trim().toLowerCase();
  if (v === 'yes' || v === 'no') return v;
  throw new InvalidArgumentError(`invalid --${flag} ${quoted(value)}: yes or no`);
}

function parseEntry(flag: string, entry: string): ForwardPattern {
  const bad = (): InvalidArgumentError =>
    new InvalidArgumentError(`invalid --${flag} entry ${quoted(entry)}: HOST:PORT, where HOST may use * and ? and PORT is a number or *`);
  const m = entry.startsWith('[') ? /^\[([^\]]+)\]:([^:]+)$/.exec(entry) : /^([^:]+):([^:]+)$/.exec(entry);
  const host = m?.[1] ?? '';
  const port = m?.[2] ?? '';
  if (!/^[A-Za-z0-9._*?%:-]+$/.test(host) || !/^(\*|\d{1,5})$/.test(port)) throw bad();
  if (port !== '*' && Number(port) > 65535) throw bad();
  return { host, port: port === '*' ? '*' : String(Number(port)) };
}

/** Validates a forwarding option (`any`, `none` or a comma-separated `host:port` list) and returns its stored form. */
export function normalizeForward(flag: string, value: string): string {
  const v = value.trim();
  const lower = v.toLowerCase();
  if (lower === 'any' || lower === 'none') return lower;
  if (v.length > MAX_LIST) throw new InvalidArgumentError(`invalid --${flag}: at most ${MAX_LIST} characters`);
  const entries = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length === 0) throw new InvalidArgumentError(`invalid --${flag} ${quoted(value)}: any, none or a list of HOST:PORT`);
  if (entries.length > MAX_ENTRIES) throw new InvalidArgumentError(`invalid --${flag}: at most ${MAX_ENTRIES} entries`);
  return entries.map((e) => parseEntry(flag, e)).map((e) => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`)).join(',');
}

/** Parses a stored forwarding option; an unreadable value allows nothing (fail closed). */
function forwardRule(stored: string): ForwardRule {
  if (stored === 'any') return { kind: 'any' };
  if (stored === 'none') return { kind: 'none' };
  try {
    return { kind: 'list', patterns: normalizeForward('forward', stored).split(',').map((e) => parseEntry('forward', e)) };
  } catch {
    return { kind: 'none' };
  }
}

/** Builds the decision form of stored options; anything but `yes` is `no` (fail closed). */
function sessionPolicy(o: PolicyOptions): SessionPolicy {
  return {
    shell: o.shell === 'yes', exec: o.exec === 'yes', fileCopy: o.fileCopy === 'yes',
    localForward: forwardRule(o.localForward), remoteForward: forwardRule(o.remoteForward),
    agentForward: o.agentForward === 'yes', x11: o.x11 === 'yes',
  };
}

/** The policy of ACL `aclId` (null: no ACL, the defaults). */
export function decisivePolicy(aclId: number | null, options: PolicyOptions = POLICY_DEFAULTS): DecisivePolicy {
  return { aclId, options: { ...options }, policy: sessionPolicy(options) };
}

function forwardAllows(rule: ForwardRule, host: string, port: number): boolean {
  switch (rule.kind) {
    case 'any': return true;
    case 'none': return false;
    case 'list': return rule.patterns.some((p) => (p.port === '*' || p.port === String(port)) && globMatch(p.host, host));
    default: {
      const never: never = rule;
      return never;
    }
  }
}

/**
 * A client-supplied name as it may appear in a reason: control and other
 * non-printing characters become `?`, at most 255 characters — the reason
 * travels to terminals and logs.
 */
export function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
  return clean.length > 255 ? `${clean.slice(0, 255)}…` : clean;
}

/** `host:port` as shown in reasons, with brackets around an IPv6 address. */
export function hostPort(host: string, port: number): string {
  const h = printable(host);
  return h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`;
}

function execVerdict(p: SessionPolicy, command: string): { ok: boolean; what: string } {
  const c = classifyCommand(command);
  if (c.kind === 'exec') return { ok: p.exec, what: 'remote commands' };
  const what = `file copy (${c.tool})`;
  if (!p.fileCopy) return { ok: false, what };
  // With exec forbidden, only a plain file-copy command line passes: the target's shell runs the text.
  if (!p.exec && !c.plain) return { ok: false, what: 'remote commands' };
  return { ok: true, what };
}

function judge(p: SessionPolicy, r: PolicyRequest): { ok: boolean; what: string } {
  switch (r.kind) {
    case 'shell': return { ok: p.shell, what: 'interactive shells' };
    case 'exec': return execVerdict(p, r.command);
    case 'subsystem':
      return r.name === 'sftp' ? { ok: p.fileCopy, what: 'file copy (sftp)' } : { ok: p.exec, what: `the ${printable(r.name)} subsystem` };
    case 'local-forward': return { ok: forwardAllows(p.localForward, r.host, r.port), what: `local forwarding to ${hostPort(r.host, r.port)}` };
    case 'local-forward-socket': return { ok: p.localForward.kind === 'any', what: `local forwarding to socket ${printable(r.path)}` };
    case 'remote-forward': return { ok: forwardAllows(p.remoteForward, r.host, r.port), what: `remote forwarding on ${hostPort(r.host, r.port)}` };
    case 'remote-forward-socket': return { ok: p.remoteForward.kind === 'any', what: `remote forwarding on socket ${printable(r.path)}` };
    case 'agent-forward': return { ok: p.agentForward, what: 'agent forwarding' };
    case 'x11': return { ok: p.x11, what: 'X11 forwarding' };
    default: {
      const never: never = r;
      return never;
    }
  }
}

/** Decides one request against the decisive ACL's policy. */
export function decidePolicy(d: DecisivePolicy, r: PolicyRequest): PolicyVerdict {
  const { ok, what } = judge(d.policy, r);
  if (ok) return { allowed: true, what };
  const who = d.aclId === null ? 'the policy' : `acl ${d.aclId}`;
  return { allowed: false, what, reason: `${who} forbids ${what}` };
}
