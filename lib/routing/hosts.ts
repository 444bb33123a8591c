import { InvalidArgumentError, NotFoundError } from '../errors.js';

/** The part of a host row that routing needs. */
export interface HostRef {
  id: number;
  name: string;
  hopId: number | null;
}

/** Longest hop chain accepted (a loop or a typo must not recurse forever). */
export const maxHops = 8;

/**
 * Orders a host's hop chain first hop first, target last, following `hopId`.
 * `byId` returns the host with that id, or undefined. Pure.
 */
export function resolveChain<T extends HostRef>(target: T, byId: (id: number) => T | undefined): T[] {
  const chain: T[] = [target];
  const seen = new Set([target.id]);
  for (let h = target; h.hopId !== null;) {
    const hop = byId(h.hopId);
    if (!hop) throw new NotFoundError(`hop of host '${h.name}' does not exist`);
    if (seen.has(hop.id)) throw new InvalidArgumentError(`hop chain of host '${target.name}' loops through '${hop.name}'`);
    if (chain.length >= maxHops) throw new InvalidArgumentError(`hop chain of host '${target.name}' is longer than ${maxHops}`);
    seen.add(hop.id);
    chain.unshift(hop);
    h = hop;
  }
  return chain;
}

/** Splits a host's `addr` (`host:port`, `[v6]:port`, `host`) into its parts. */
export function splitAddr(addr: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(addr) ?? /^([^:]+)(?::(\d+))?$/.exec(addr);
  if (!m) throw new InvalidArgumentError(`invalid host address '${addr}'`);
  const port = m[2] === undefined ? 22 : Number(m[2]);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`invalid port in host address '${addr}'`);
  return { host: m[1], port };
}
