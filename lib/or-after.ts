/**
 * Waiting for something, but not for ever: a channel that never answers, a
 * client that never reads, sessions that never end.
 */

/**
 * `p`'s value, or `marker` once `ms` passed first (a rejection of `p` before
 * then rejects). The timer is cleared either way: it never outlives the wait.
 */
export async function orAfter<T, M>(p: Promise<T>, ms: number, marker: M): Promise<T | M> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<M>((resolve) => { timer = setTimeout(() => resolve(marker), Math.max(0, ms)); });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
