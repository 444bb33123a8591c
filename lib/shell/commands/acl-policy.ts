import type { Command } from 'commander';
import { aclInputOf, decideAccess } from '../../acl/decide.js';
import { normalizeForward, parseYesNo, POLICY_DEFAULTS, POLICY_FLAGS, type DecisivePolicy, type PolicyOptions } from '../../acl/policy.js';
import { aclsOfUserGroups } from '../../db/queries/acls.js';
import { findHosts } from '../../db/queries/hosts.js';
import { findUsers } from '../../db/queries/users.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Options } from '../action.js';
import type { ShellContext } from '../context.js';
import { act } from './common.js';

const HELP: Record<keyof PolicyOptions, string> = {
  shell: 'interactive shell: yes or no (default yes)',
  exec: 'remote commands: yes or no (default yes)',
  fileCopy: 'sftp, scp and rsync: yes or no (default yes)',
  localForward: '-L/-D/-W: any, none or HOST:PORT,... (* allowed; default any)',
  remoteForward: '-R: any, none or listen HOST:PORT,... (* allowed; default any)',
  agentForward: '-A: yes or no (default yes)',
  x11: '-X/-Y: yes or no (default yes)',
};

/** Adds the session-policy options to `acl create` / `acl update`. */
export function addPolicyOptions(cmd: Command): Command {
  for (const [key, flag] of POLICY_FLAGS) cmd.option(`--${flag} <value>`, HELP[key]);
  return cmd;
}

/** Normalizes one option value (throws a one-line error). */
function checkPolicyValue(key: keyof PolicyOptions, flag: string, value: string): string {
  return key === 'localForward' || key === 'remoteForward' ? normalizeForward(flag, value) : parseYesNo(flag, value);
}

/** The policy options given on the command line, validated. */
export function readPolicyOptions(opts: Options): Partial<PolicyOptions> {
  const out: Partial<PolicyOptions> = {};
  for (const [key, flag] of POLICY_FLAGS) {
    const v = opts.string(key);
    if (v !== undefined) out[key] = checkPolicyValue(key, flag, v);
  }
  return out;
}

/** `acl ls`'s POLICY cell: the options that differ from the defaults, or `defaults`. Pure. */
export function policySummary(o: PolicyOptions): string {
  const changed = POLICY_FLAGS.filter(([key]) => o[key] !== POLICY_DEFAULTS[key]).map(([key, flag]) => `${flag}=${o[key]}`);
  return changed.length === 0 ? 'defaults' : changed.join(' ');
}

/** The lines of `acl check`: decision, deciding ACL, policy, one item per line. Pure. */
export function checkLines(d: { action: string; reason: string; aclId?: number; weight?: number; aclAction?: string; policy: DecisivePolicy }): string[] {
  const acl = d.aclId === undefined ? 'none' : `${d.aclId} (weight ${d.weight ?? 0}, ${d.aclAction ?? '?'})`;
  const lines = [`decision: ${d.action}`, `acl: ${acl}`, `reason: ${d.reason}`];
  if (d.action === 'allow') {
    const source = d.policy.aclId === null ? ' (defaults)' : '';
    for (const [key, flag] of POLICY_FLAGS) lines.push(`${flag}: ${d.policy.options[key]}${source}`);
  }
  return lines;
}

/** Defines `acl check USER HOST`. */
export function defineAclCheck(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('check').description('shows whether USER may reach HOST, the deciding ACL and its session policy')
    .argument('<USER>', 'user name, email or id').argument('<HOST>', 'host name or id');
  act(cmd, ctx, ['admin'], async ({ args }) => {
    const [userArg, hostArg] = args as (string | undefined)[];
    if (userArg === undefined || hostArg === undefined) throw new InvalidArgumentError('usage: acl check USER HOST');
    const m = ctx.deps.db.manager;
    const user = (await findUsers(m, [userArg], { groups: true })).at(0);
    const host = (await findHosts(m, [hostArg], true)).at(0);
    if (!user || !host) throw new InvalidArgumentError('usage: acl check USER HOST');
    const groups = (user.groups ?? []).map((g) => ({ id: g.id, name: g.name }));
    const acls = (await aclsOfUserGroups(m, groups.map((g) => g.id))).map(aclInputOf);
    const d = await decideAccess({
      user: { id: user.id, name: user.name, email: user.email, groups },
      host: { id: host.id, name: host.name, addr: host.addr, user: host.user, groups: (host.groups ?? []).map((g) => ({ id: g.id, name: g.name })) },
      acls, now: ctx.now(),
    }, ctx.deps.config.aclCheckCmd);
    const decisive = acls.find((a) => a.id === d.aclId);
    ctx.out(`${checkLines({ ...d, weight: decisive?.weight, aclAction: decisive?.action }).join('\n')}\n`);
  });
}
