import type { Command } from 'commander';
import type { Tx } from '../../db/database.js';
import { hostJson, type JsonOptions } from '../../db/json/go-json.js';
import { listTunnelKeys } from '../../db/queries/tunnels.js';
import { defaultKeyName } from '../../db/bootstrap.js';
import { Host } from '../../db/entities/index.js';
import { insertRow } from '../../db/queries/common.js';
import { findGroups, hostGroupKind } from '../../db/queries/groups.js';
import { assertHostNameFree, findHosts, listHostIds, listHosts, removeHosts, type HostListRow } from '../../db/queries/hosts.js';
import { findClientKey } from '../../db/queries/ssh-keys.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { defaultHostName, isTunnelUrl, parseHostUrl, parseTunnelUrl } from '../../routing/host-url.js';
import { checkComment, checkName } from '../parse/values.js';
import { parseRecordingMode } from '../../recording-mode.js';
import { humanizeTime } from '../render/humanize.js';
import { act, audit, change, collect, defineLs, defineRm, printJson, withIds } from './common.js';
import { defineHostTunnels, dropConnectors, forgetTunnels } from './host-tunnel.js';
import { defineHostUpdate } from './host-update.js';

interface CreateInput {
  url: string;
  name: string | undefined;
  password: string | undefined;
  comment: string;
  key: string | undefined;
  hop: string | undefined;
  logging: string;
  groups: string[];
  tunnel: boolean;
}

async function createHost(ctx: ShellContext, m: Tx, input: CreateInput): Promise<Host> {
  const target = input.tunnel ? parseTunnelUrl(input.url) : parseHostUrl(input.url);
  if (input.password !== undefined && target.password !== null) throw new InvalidArgumentError('password given twice: in the URL and with --password');
  const password = input.password ?? target.password;
  const name = checkName(input.name ?? defaultHostName(target.host), 'host');
  await assertHostNameFree(m, name);
  const keyName = input.key ?? (password === null ? defaultKeyName : undefined);
  const key = keyName === undefined ? null : await findClientKey(m, keyName);
  const hop = input.hop === undefined ? undefined : (await findHosts(m, [input.hop])).at(0);
  const groups = await findGroups(m, hostGroupKind, input.groups.length > 0 ? input.groups : ['default']);
  return insertRow(m, Host, {
    name, addr: target.addr, user: target.user, url: target.url,
    password: password === null ? null : ctx.deps.db.cipher.encrypt(password),
    sshKeyId: key?.id ?? null, hostKey: null, comment: input.comment,
    logging: parseRecordingMode(input.logging), hopId: hop?.id ?? null, groups,
  });
}

function defineCreate(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('create').description('creates a new host').argument('<URL>', '[ssh://]<user>[:<password>]@<host>[:<port>], or <user>@<name>[:<port>] with --tunnel')
    .option('-t, --tunnel', 'a host behind NAT, reached through its reverse-tunnel connector (see host tunnel-invite)')
    .option('-n, --name <name>', 'name of the host (default: the first label of its address)')
    .option('-p, --password <password>', 'password for password authentication on the host')
    .option('-c, --comment <comment>', 'adds a comment')
    .option('-k, --key <KEY>', `key used to authenticate on the host (default: '${defaultKeyName}' when no password)`)
    .option('-o, --hop <HOST>', 'host to hop through to reach this one')
    .option('-l, --logging <mode>', 'session recording: everything, input or disabled', 'everything')
    .option('-g, --group <HOSTGROUP>', "host groups of the host, repeatable (default: 'default')", collect);
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const input: CreateInput = {
      url: args[0] ?? '', name: opts.string('name'), password: opts.string('password'), comment: checkComment(opts.string('comment') ?? ''),
      key: opts.string('key'), hop: opts.string('hop'), logging: opts.string('logging') ?? 'everything', groups: opts.list('group'),
      tunnel: opts.flag('tunnel'),
    };
    const host = await change(ctx, async (m) => {
      const h = await createHost(ctx, m, input);
      const { password, ...args } = input;
      await audit(m, ctx, { domain: 'host', action: 'create', entity: h.name, args: { ...args, url: h.url, password: password ?? '' } });
      return h;
    });
    ctx.out(`${host.id}\n`);
  });
}

function hostRow(r: HostListRow, now: Date): string[] {
  const h = r.host;
  return [
    String(h.id), h.name, h.url || `ssh://${h.user}@${h.addr}`, r.keyName, r.groupNames.join(', '),
    humanizeTime(h.updatedAt, now), humanizeTime(h.createdAt, now), h.comment, r.hopName, h.logging,
  ];
}

/** Registers `host`: manages hosts (targets). */
export function registerHost(root: Command, ctx: ShellContext): void {
  const parent = root.command('host').description('manages hosts');
  defineCreate(parent, ctx);
  defineHostInspect(parent, ctx);
  defineLs<HostListRow & { id: number }>(parent, ctx, ['admin', 'listhosts'], {
    columns: ['ID', 'Name', 'URL', 'Key', 'Groups', 'Updated', 'Created', 'Comment', 'Hop', 'Logging'],
    noun: 'hosts',
    fetch: async (m, latest) => (await listHosts(m, latest)).map((r) => ({ ...r, id: r.host.id })),
    ids: listHostIds,
    row: hostRow,
  });
  defineRm(parent, ctx, {
    argName: 'HOST', noun: 'hosts', domain: 'host', find: (m, ids) => findHosts(m, ids), label: (h) => h.name,
    remove: async (m, hosts) => { await forgetTunnels(m, hosts); await removeHosts(m, hosts); },
    // A removed tunnel host's connectors go too, on every node (its keys went with the rows).
    after: (hosts) => dropConnectors(ctx, hosts.filter((h) => isTunnelUrl(h.url)).map((h) => h.id)),
  });
  defineHostUpdate(parent, ctx);
  defineHostTunnels(parent, ctx);
}

/** `host inspect`: sshportal's JSON; a tunnel host adds its connector keys and live connectors (extra keys only). */
function defineHostInspect(parent: Command, ctx: ShellContext): void {
  const cmd = withIds(parent, 'inspect', 'HOST', 'shows detailed information on hosts').option('--decrypt', 'shows passwords in clear');
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const m = ctx.deps.db.manager;
    const hosts = await findHosts(m, args, true);
    const o: JsonOptions = { secrets: opts.flag('decrypt') ? 'decrypt' : 'redact', cipher: ctx.deps.db.cipher };
    const tunnelIds = hosts.filter((h) => isTunnelUrl(h.url)).map((h) => h.id);
    const keys = await listTunnelKeys(m, tunnelIds);
    const live = tunnelIds.length === 0 || !ctx.deps.tunnels ? [] : (await ctx.deps.tunnels.listAll(tunnelIds)).connectors;
    await printJson(ctx, hosts.map((h) => (!tunnelIds.includes(h.id) ? hostJson(h, o) : {
      ...hostJson(h, o),
      TunnelKeys: keys.filter((k) => k.hostId === h.id).map((k) => ({ Fingerprint: k.fingerprint, AuthorizedKey: k.authorizedKey, Comment: k.comment, CreatedAt: k.createdAt.toISOString() })),
      Connectors: live.filter((c) => c.hostId === h.id).map((c) => ({ Node: c.node, Remote: c.remote, Since: c.since, Fingerprint: c.fingerprint })),
    })));
  });
}
