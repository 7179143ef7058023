// The drift report: turns a provider's FieldDiffs into what users read in
// status.drift, in events and on the command line. It is the only place
// where diff values become text, so redaction happens here and nowhere else.
import type { DriftField, DriftHistoryEntry, DriftStatus } from "../api/index.ts";
import type { FieldDiff } from "../provider.ts";
import { truncate } from "./conditions.ts";

export const REDACTED = "(redacted)";
export const ABSENT = "(absent)";
/** Bounds that keep a status object small whatever the cloud returns. */
export const MAX_HISTORY = 10;
export const MAX_FIELDS = 50;
export const MAX_VALUE_LENGTH = 256;

export function renderValue(value: unknown): string {
  if (value === undefined || value === null) return ABSENT;
  if (typeof value === "string") return truncate(value, MAX_VALUE_LENGTH);
  return truncate(JSON.stringify(value), MAX_VALUE_LENGTH);
}

/** A diff is secret when the provider says so or its path lies under a kind's sensitive path. */
export function isSensitive(diff: FieldDiff, sensitivePaths: readonly string[]): boolean {
  return (
    diff.sensitive === true || sensitivePaths.some((p) => diff.path === p || diff.path.startsWith(`${p}.`))
  );
}

export function toDriftFields(
  diffs: readonly FieldDiff[],
  sensitivePaths: readonly string[] = [],
): DriftField[] {
  return diffs
    .slice(0, MAX_FIELDS)
    .map((d) =>
      isSensitive(d, sensitivePaths)
        ? { path: d.path, desired: REDACTED, observed: REDACTED }
        : { path: d.path, desired: renderValue(d.desired), observed: renderValue(d.observed) },
    );
}

/** "forProvider.a (desired 20, observed 30), forProvider.b (desired x, observed y)" for events and logs. */
export function describeFields(fields: readonly DriftField[]): string {
  return fields.map((f) => `${f.path} (desired ${f.desired}, observed ${f.observed})`).join(", ");
}

export function samePaths(a: readonly DriftField[], b: readonly DriftField[]): boolean {
  if (a.length !== b.length) return false;
  return a.every(
    (f, i) => f.path === b[i]?.path && f.desired === b[i]?.desired && f.observed === b[i]?.observed,
  );
}

export function emptyDrift(): DriftStatus {
  return { corrections: 0, recreations: 0, fields: [], history: [] };
}

export function withHistory(drift: DriftStatus, entry: DriftHistoryEntry): DriftStatus {
  return { ...drift, history: [entry, ...drift.history].slice(0, MAX_HISTORY) };
}

/** JSON with object keys sorted, so key order never makes two equal values look different. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
