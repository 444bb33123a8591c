import type { Command } from 'commander';
import type { Tx } from '../../db/database.js';
import { Host } from '../../db/entities/index.js';
import { findGroups, hostGroupKind } from '../../db/queries/groups.js';
import { assertHostNameFree, assertNoHopLoop, findHosts } from '../../db/queries/hosts.js';
import { findClientKey } from '../../db/queries/ssh-keys.js';
import { relink, saveRow } from '../../db/queries/common.js';
import { InvalidArgumentError } from '../../errors.js';
import type { Options } from '../action.js';
import type { ShellContext } from '../context.js';
import { parseHostUrl } from '../../routing/host-url.js';
import { checkComment, checkName } from '../parse/values.js';
import { parseRecordingMode, type RecordingMode } from '../../recording-mode.js';
import { act, audit, change, collect, withIds } from './common.js';
import { dropConnectors, forgetTunnels } from './host-tunnel.js';

/** The validated changes of one `host update`. */
interface HostChanges {
  name?: string;
  url?: ReturnType<typeof parseHostUrl>;
  password?: string | null;
  comment?: string;
  key?: string;
  hop?: string | null;
  logging?: RecordingMode;
  unsetHostKey: boolean;
  assign: string[];
  unassign: string[];
}

/** Reads and checks the flags before touching the database. */
function readChanges(opts: Options): HostChanges {
  const name = opts.string('name');
  const url = opts.string('url');
  const comment = opts.string('comment');
  const logging = opts.string('logging');
  const hop = opts.string('hop');
  const password = opts.string('password');
  if (hop !== undefined && opts.flag('unsetHop')) throw new InvalidArgumentError('cannot use --hop and --unset-hop together');
  if (password !== undefined && opts.flag('unsetPassword')) throw new InvalidArgumentError('cannot use --password and --unset-password together');
  const parsed = url === undefined ? undefined : parseHostUrl(url);
  if (parsed?.password != null && password !== undefined) throw new InvalidArgumentError('password given twice: in the URL and with --password');
  return {
    name: name === undefined ? undefined : checkName(name, 'host'),
    url: parsed,
    password: opts.flag('unsetPassword') ? null : password ?? parsed?.password ?? undefined,
    comment: comment === undefined ? undefined : checkComment(comment),
    key: opts.string('key'),
    hop: opts.flag('unsetHop') ? null : hop,
    logging: logging === undefined ? undefined : parseRecordingMode(logging),
    unsetHostKey: opts.flag('unsetHostKey'),
    assign: opts.list('assignGroup'),
    unassign: opts.list('unassignGroup'),
  };
}

async function applyFields(ctx: ShellContext, m: Tx, host: Host, c: HostChanges): Promise<void> {
  if (c.name !== undefined) {
    await assertHostNameFree(m, c.name, host.id);
    host.name = c.name;
  }
  if (c.url) Object.assign(host, { addr: c.url.addr, user: c.url.user, url: c.url.url });
  if (c.password !== undefined) host.password = c.password === null ? null : ctx.deps.db.cipher.encrypt(c.password);
  if (c.comment !== undefined) host.comment = c.comment;
  if (c.logging !== undefined) host.logging = c.logging;
  if (c.unsetHostKey) host.hostKey = null;
  if (c.key !== undefined) host.sshKeyId = (await findClientKey(m, c.key)).id;
  if (c.hop === null) host.hopId = null;
  else if (c.hop !== undefined) {
    const hop = (await findHosts(m, [c.hop])).at(0);
    if (hop) {
      await assertNoHopLoop(m, host.id, hop.id);
      host.hopId = hop.id;
    }
  }
}

async function applyGroups(m: Tx, host: Host, c: HostChanges): Promise<void> {
  const assign = await findGroups(m, hostGroupKind, c.assign);
  const unassign = await findGroups(m, hostGroupKind, c.unassign);
  await relink(m, Host, 'groups', host.id, assign.map((g) => g.id), unassign.map((g) => g.id));
}

/** Defines `host update`. */
export function defineHostUpdate(parent: Command, ctx: ShellContext): void {
  const cmd = withIds(parent, 'update', 'HOST', 'updates hosts')
    .option('-n, --name <name>', 'renames the host')
    .option('-u, --url <URL>', 'changes the address: [ssh://]<user>[:<password>]@<host>[:<port>]')
    .option('-p, --password <password>', 'sets the password')
    .option('--unset-password', 'removes the password')
    .option('-c, --comment <comment>', 'sets the comment')
    .option('-k, --key <KEY>', 'changes the key used to authenticate on the host')
    .option('-o, --hop <HOST>', 'changes the host to hop through')
    .option('--unset-hop', 'connects directly, without a hop')
    .option('-l, --logging <mode>', 'session recording: everything, input or disabled')
    .option('--unset-host-key', "forgets the target's pinned host key (the next connection pins the new one)")
    .option('-g, --assign-group <HOSTGROUP>', 'adds the host to host groups, repeatable', collect)
    .option('--unassign-group <HOSTGROUP>', 'removes the host from host groups, repeatable', collect);
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const c = readChanges(opts);
    const untunneled = await change(ctx, async (m) => {
      const hosts = await findHosts(m, args);
      if (c.name !== undefined && hosts.length > 1) throw new InvalidArgumentError('cannot set --name when updating several hosts at once');
      // A new --url is never a tunnel URL: those hosts stop being tunnel hosts, their connector keys go.
      const gone = c.url ? await forgetTunnels(m, hosts) : [];
      for (const host of hosts) {
        await applyFields(ctx, m, host, c);
        await saveRow(m, host);
        await applyGroups(m, host, c);
      }
      const { password, url, ...rest } = c;
      await audit(m, ctx, { domain: 'host', action: 'update', entity: hosts.map((h) => h.name).join(', '), args: { ...rest, url: url?.url, password: password ?? undefined } });
      return gone;
    });
    await dropConnectors(ctx, untunneled);
  });
}
