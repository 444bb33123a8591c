import { InvalidArgumentError, NotFoundError } from '../errors.js';

/** The part of a host row that routing needs. */
export interface HostRef {
  id: number;
  name: string;
  hopId: number | null;
}

/** Longest hop chain accepted (a loop or a typo must not recurse forever). */
const maxHops = 8;

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

/** How routing reads hosts, passed in by the caller (lib/db's `hostFinder` implements it). */
export interface HostFinder<T extends HostRef> {
  byName(name: string): Promise<T | null>;
  byId(id: number): Promise<T | null>;
}

/** The host a login names: by name first, then, for a number, by id (sshportal's rule). */
export async function findTarget<T extends HostRef>(finder: HostFinder<T>, target: string): Promise<T> {
  const byName = await finder.byName(target);
  if (byName) return byName;
  if (/^\d+$/.test(target)) {
    const byId = await finder.byId(Number(target));
    if (byId) return byId;
  }
  throw new NotFoundError(`no such host '${target}'`);
}

/**
 * The host's hop chain, first hop first, the host itself last, read through
 * `finder` one hop at a time; a missing hop, a loop or a chain longer than
 * {@link maxHops} is an error (from {@link resolveChain}).
 */
export async function loadChain<T extends HostRef>(finder: HostFinder<T>, host: T): Promise<T[]> {
  const loaded = new Map<number, T>([[host.id, host]]);
  for (let h: T | null = host; h && h.hopId !== null && !loaded.has(h.hopId) && loaded.size <= maxHops;) {
    const hop: T | null = await finder.byId(h.hopId);
    if (hop) loaded.set(hop.id, hop);
    h = hop;
  }
  return resolveChain(host, (id) => loaded.get(id));
}
