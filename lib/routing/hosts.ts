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
