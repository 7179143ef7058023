// Batching helpers for describe calls that take a list of names or ARNs and
// fail as a whole when one of them does not exist.

/** ELBv2 takes at most 20 names or ARNs per DescribeLoadBalancers / DescribeTags call. */
export const ELBV2_BATCH_SIZE = 20;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Describes `keys` in chunks of `size`. A chunk that fails with a not-found
 * error is split in halves until the missing keys are isolated, so one
 * deleted resource costs about 2·log2(size) extra calls instead of one call
 * per key. A single key that is not found yields nothing.
 */
export async function describeInBatches<K, R>(
  keys: readonly K[],
  size: number,
  concurrency: number,
  call: (chunk: K[]) => Promise<R[]>,
  isNotFound: (err: unknown) => boolean,
): Promise<R[]> {
  const bisect = async (chunk: K[]): Promise<R[]> => {
    try {
      return await call(chunk);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (chunk.length <= 1) return [];
      const mid = Math.ceil(chunk.length / 2);
      return [...(await bisect(chunk.slice(0, mid))), ...(await bisect(chunk.slice(mid)))];
    }
  };
  const parts = await mapLimit(chunks(keys, size), concurrency, bisect);
  return parts.flat();
}
