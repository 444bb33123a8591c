/**
 * `host tunnel-invite`, `host tunnels` and `host tunnel-revoke`: enrolling,
 * listing and revoking the reverse-tunnel connectors of tunnel hosts.
 */
import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.js';
import { randomToken } from '../../crypto/tokens.js';
import type { Host } from '../../db/entities/index.js';
import { findHosts } from '../../db/queries/hosts.js';
import type { Tx } from '../../db/database.js';
import { createTunnelInvite, forgetTunnelHosts, revokeTunnelKeys } from '../../db/queries/tunnels.js';
import { InvalidArgumentError } from '../../errors.js';
import { isTunnelUrl } from '../../routing/host-url.js';
import type { PortalFacts, ShellContext } from '../context.js';
import { humanizeTime } from '../render/humanize.js';
import { renderTable } from '../render/table.js';
import { act, audit, change } from './common.js';

/** Shortest and longest lifetime of a host invite. */
const minExpiryMs = 60_000;
const maxExpiryMs = 30 * 24 * 3_600_000;

/** Parses `--expires` (`24h`, `90m`, `7d`); bounded. Pure. */
export function parseInviteExpiry(text: string): number {
  const days = /^(\d{1,3})d$/.exec(text.trim());
  const ms = days ? Number(days[1]) * 24 * 3_600_000 : parseDuration(text, '--expires');
  if (ms < minExpiryMs || ms > maxExpiryMs) throw new InvalidArgumentError(`invalid --expires '${text}': expected a duration from 1m to 30d`);
  return ms;
}

/** The lines `host tunnel-invite` prints: the token, the connector's command, the portal's host key to pin. Pure. */
export function tunnelInviteMessage(host: string, token: string, expires: Date, portal: PortalFacts): string {
  const address = portal.host ?? '<portal address>';
  const bracketed = address.includes(':') ? `[${address}]` : address;
  const known = portal.port === 22 ? bracketed : `[${address}]:${portal.port}`;
  const portFlag = portal.port === 22 ? '' : ` -p ${portal.port}`;
  return [
    `Single-use token for tunnel host '${host}' (expires at ${expires.toISOString()}):`,
    `  ${token}`,
    'On the machine behind NAT, pin the portal host key (append to ~/.ssh/known_hosts):',
    `  ${known} ${portal.hostKey}`,
    'then run the connector once to enroll its key (the tunnel is up at once):',
    `  ssh -N -o ExitOnForwardFailure=yes -R 22:localhost:22 host-invite:${token}@${bracketed}${portFlag}`,
    'and from then on:',
    `  ssh -N -o ServerAliveInterval=15 -o ExitOnForwardFailure=yes -R 22:localhost:22 tunnel:${host}@${bracketed}${portFlag}`,
  ].join('\n') + '\n';
}

async function tunnelHost(ctx: ShellContext, ident: string): Promise<Host> {
  const host = (await findHosts(ctx.deps.db.manager, [ident])).at(0);
  if (!host || !isTunnelUrl(host.url)) throw new InvalidArgumentError(`host '${host?.name ?? ident}' is not a tunnel host (create one with 'host create --tunnel')`);
  return host;
}

function defineInvite(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('tunnel-invite').description('creates a single-use token that enrolls a connector key for a tunnel host').argument('<HOST>')
    .option('-e, --expires <DURATION>', 'lifetime of the token', '24h');
  act(cmd, ctx, ['admin'], async ({ args, opts }) => {
    const portal = ctx.deps.portal;
    if (!portal) throw new InvalidArgumentError('host tunnel-invite needs a running portal');
    const ttl = parseInviteExpiry(opts.string('expires') ?? '24h');
    const host = await tunnelHost(ctx, args[0] ?? '');
    const token = randomToken(32);
    const expires = new Date(ctx.now().getTime() + ttl);
    await change(ctx, async (m) => {
      await createTunnelInvite(m, host.id, token, expires, ctx.now());
      await audit(m, ctx, { domain: 'host', action: 'tunnel-invite', entity: host.name, args: { expires: expires.toISOString() } });
    });
    ctx.out(tunnelInviteMessage(host.name, token, expires, portal));
  });
}

function defineList(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('tunnels').description('lists the live connectors of tunnel hosts, on every node').argument('[HOST...]');
  act(cmd, ctx, ['admin'], async ({ args }) => {
    const tunnels = ctx.deps.tunnels;
    if (!tunnels) throw new InvalidArgumentError('host tunnels needs a running portal');
    const hostIds = args.length === 0 ? null : (await findHosts(ctx.deps.db.manager, args)).map((h) => h.id);
    const listing = await tunnels.listAll(hostIds);
    const now = ctx.now();
    const rows = listing.connectors
      .sort((a, b) => a.hostName.localeCompare(b.hostName) || a.node.localeCompare(b.node) || a.id - b.id)
      .map((c) => [c.hostName, c.node, c.remote, humanizeTime(new Date(c.since), now), c.fingerprint]);
    ctx.out(renderTable({ columns: ['HOST', 'NODE', 'REMOTE', 'SINCE', 'KEY'], noun: 'connectors', rows }));
    for (const u of listing.unreachable) ctx.err(`warning: node ${u.node} did not answer: ${u.error}\n`);
  });
}

function defineRevoke(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('tunnel-revoke').description('forgets connector keys of a tunnel host (all when none given); their live connectors drop')
    .argument('<HOST>').argument('[FINGERPRINT...]');
  act(cmd, ctx, ['admin'], async ({ args }) => {
    const ident = args[0] as string | undefined;
    const fingerprints = args.slice(1);
    const host = await tunnelHost(ctx, ident ?? '');
    const removed = await change(ctx, async (m) => {
      const fps = await revokeTunnelKeys(m, host.id, fingerprints);
      await audit(m, ctx, { domain: 'host', action: 'tunnel-revoke', entity: host.name, args: { fingerprints: fps } });
      return fps;
    });
    // Dropped only for the keys actually removed (all of them when none were named).
    const dropped = removed.length === 0 ? 0 : (await ctx.deps.tunnels?.dropAll(host.id, fingerprints.length === 0 ? removed : fingerprints)) ?? 0;
    ctx.out(`${removed.length} connector key(s) revoked, ${dropped} live connector(s) dropped\n`);
  });
}

/**
 * In the change that removes tunnel hosts (`host rm`) or makes them plain
 * hosts (`host update --url`): forgets their connector keys and invites.
 * Returns their ids, for {@link dropConnectors} once the change committed.
 */
export async function forgetTunnels(m: Tx, hosts: readonly Host[]): Promise<number[]> {
  const ids = hosts.filter((h) => isTunnelUrl(h.url)).map((h) => h.id);
  await forgetTunnelHosts(m, ids);
  return ids;
}

/** After the change committed: drops the live connectors of `hostIds` on every node (their keys are gone: none comes back). */
export async function dropConnectors(ctx: ShellContext, hostIds: readonly number[]): Promise<void> {
  for (const id of hostIds) await ctx.deps.tunnels?.dropAll(id, []);
}

/** Registers the tunnel subcommands of `host`. */
export function defineHostTunnels(parent: Command, ctx: ShellContext): void {
  defineInvite(parent, ctx);
  defineList(parent, ctx);
  defineRevoke(parent, ctx);
}
