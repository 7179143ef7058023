// Small helpers the mapping parts share for building SDK inputs and
// comparing lists.

/** Sets `obj[key]` only when there is a value, so absent stays absent (not `undefined`). */
export function setIf<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}

/** Equal as sets: order and repeats do not matter (subnets, security groups). */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}

/** A sorted copy, so drift shows lists in a stable order. */
export const sorted = (a: readonly string[]): string[] => [...a].sort();
