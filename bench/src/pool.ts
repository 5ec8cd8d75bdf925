/**
 * Runs `count` tasks with at most `concurrency` in flight, in index order of start.
 * With concurrency 1 it is a plain sequential loop (no extra promises), so sequential
 * floors pay nothing for the pool.
 */
export async function runPool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  if (concurrency <= 1) {
    for (let index = 0; index < count; index++) await task(index);
    return;
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
