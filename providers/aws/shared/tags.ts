// Tag helpers shared by every AWS kind: the owner tags that make
// lost-create and cross-namespace takeovers detectable, and the diff between
// desired and observed tag maps.

import { type Managed, Tags } from "../../../controller/api/index.ts";
import type { FieldDiff } from "../../../controller/provider.ts";

/** AWS owns keys with this prefix; they can be neither set nor removed. */
export const AWS_RESERVED_PREFIX = "aws:";

const SETPOINT_KEYS: ReadonlySet<string> = new Set([Tags.owner, Tags.uid]);

/** The tags that name the owning custom resource: owner = "namespace/name", uid = metadata.uid. */
export function ownerTags(mr: Managed): Record<string, string> {
  const tags: Record<string, string> = { [Tags.owner]: `${mr.metadata.namespace ?? ""}/${mr.metadata.name}` };
  if (mr.metadata.uid) tags[Tags.uid] = mr.metadata.uid;
  return tags;
}

/** Reads the ownership tags back from an observed tag map. */
export function ownershipFromTags(tags: Record<string, string>): { owner?: string; uid?: string } {
  const out: { owner?: string; uid?: string } = {};
  const owner = tags[Tags.owner];
  const uid = tags[Tags.uid];
  if (owner !== undefined) out.owner = owner;
  if (uid !== undefined) out.uid = uid;
  return out;
}

/** User tags plus owner tags; owner tags win, so a user cannot forge ownership. */
export function desiredTags(
  mr: Managed,
  userTags: Record<string, string> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(userTags ?? {})) {
    if (!k.startsWith(AWS_RESERVED_PREFIX)) out[k] = v;
  }
  return { ...out, ...ownerTags(mr) };
}

/** [{Key, Value}] as returned by most AWS APIs → map. Entries without a key are dropped. */
export function tagListToMap(
  list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}

export function tagMapToList(map: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(map)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));
}

export interface TagChanges {
  /** Keys to add or change, with their desired value. */
  set: Record<string, string>;
  /** Keys to remove. */
  remove: string[];
}

/**
 * What to send to make `observed` match `desired`. "aws:" keys are never
 * touched and setpoint's own keys are never removed. When `authoritative` is
 * false (the user left tags empty), keys outside `desired` are left alone.
 */
export function diffTags(
  desired: Record<string, string>,
  observed: Record<string, string>,
  opts: { authoritative: boolean } = { authoritative: true },
): TagChanges {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(desired)) {
    if (k.startsWith(AWS_RESERVED_PREFIX)) continue;
    if (observed[k] !== v) set[k] = v;
  }
  if (opts.authoritative) {
    for (const k of Object.keys(observed)) {
      if (k.startsWith(AWS_RESERVED_PREFIX) || SETPOINT_KEYS.has(k)) continue;
      if (!(k in desired)) remove.push(k);
    }
  }
  remove.sort();
  return { set, remove };
}

export function hasTagChanges(c: TagChanges): boolean {
  return c.remove.length > 0 || Object.keys(c.set).length > 0;
}

/** One FieldDiff per changed key, with paths like forProvider.tags["team"]. */
export function tagChangesToDrift(
  c: TagChanges,
  observed: Record<string, string>,
  basePath = "forProvider.tags",
): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  for (const [k, v] of Object.entries(c.set)) {
    diffs.push({ path: `${basePath}[${JSON.stringify(k)}]`, desired: v, observed: observed[k] });
  }
  for (const k of c.remove) {
    diffs.push({ path: `${basePath}[${JSON.stringify(k)}]`, desired: undefined, observed: observed[k] });
  }
  return diffs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
