import type { Command } from 'commander';
import type { NodeStatus } from '../../cluster/index.js';
import { InvalidArgumentError } from '../../errors.js';
import type { ShellContext } from '../context.js';
import { humanizeTime } from '../render/humanize.js';
import { act, lsFlags, printList } from './common.js';

function nodeRow(n: NodeStatus, now: Date): string[] {
  return [
    String(n.id), n.name, n.address, n.version, humanizeTime(n.startedAt, now), humanizeTime(n.heartbeatAt, now),
    n.alive ? 'alive' : 'dead', String(n.activeSessions),
  ];
}

/** Registers `node` (not in sshportal): the nodes of the cluster and their liveness. */
export function registerNode(root: Command, ctx: ShellContext): void {
  const parent = root.command('node').description('lists the portal nodes of the cluster');
  const ls = lsFlags(parent.command('ls').description('lists nodes: address, version, last heartbeat, liveness, active sessions'), 'node');
  act(ls, ctx, ['admin'], async (inv) => {
    const cluster = ctx.deps.cluster;
    if (!cluster) throw new InvalidArgumentError('node ls needs a running portal');
    const all = await cluster.nodes();
    const rows = inv.opts.flag('latest') ? [...all].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime()).slice(0, 1) : all;
    printList(ctx, inv, rows, {
      columns: ['ID', 'Name', 'Address', 'Version', 'Started', 'Heartbeat', 'Status', 'Active sessions'], noun: 'nodes', row: nodeRow,
    });
  });
}
