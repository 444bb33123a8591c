/**
 * One-at-a-time execution. SQLite through better-sqlite3 is one connection:
 * two transactions whose callbacks await each other's turn would nest on it
 * ("cannot start a transaction within a transaction"), so the portal queues
 * them instead.
 */

/** Runs a task after every task queued before it has settled. */
export type SerialQueue = <T>(task: () => Promise<T>) => Promise<T>;

/** A FIFO queue: each task starts when the previous one resolved or rejected. */
export function serialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
