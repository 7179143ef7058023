// Reference resolution: the engine's step between the finalizer and connect.
// A kind declares its reference fields (KindDefinition.references); this
// module finds each target in the same namespace, checks that it is Ready
// and served by the same ProviderConfig, and reads its value. The reconciler
// writes changed values into spec.forProvider, which bumps the generation:
// a target recreated with a new ID reaches the cloud as a spec change (an
// update), never as drift. Pure, given the targets.
import type { Managed } from "../api/managed.ts";
import { Annotations } from "../api/metadata.ts";
import type { ReferenceDeclaration } from "../api/references.ts";
import { RetryAfterError, TerminalError } from "../provider.ts";
import { ConditionType, getCondition } from "./conditions.ts";
import { canonicalJson } from "./drift-report.ts";

/** How often a waiting resource looks again when no watch event woke it first. */
export const REFERENCE_RECHECK_SECONDS = 30;

export const ReferenceCodes = {
  AcrossProviderConfigs: "ReferenceAcrossProviderConfigs",
  NotAForProviderField: "ReferenceNotAForProviderField",
} as const;

/** What the resolver reads: the engine's caches of every managed kind. */
export interface ReferenceTargets {
  /** The object of `kind` named `name` in `namespace`, or undefined when there is none. */
  get(kind: string, namespace: string, name: string): Managed | undefined;
  /** Every object of `kind` in `namespace`, for selectors. */
  list(kind: string, namespace: string): Managed[];
  /** "Kind namespace/name" of every resource whose references name `target`, sorted. */
  referrersOf(target: Managed): string[];
}

/** A target is missing or not Ready yet: the resource waits, and makes no cloud call. */
export class ReferenceNotReadyError extends RetryAfterError {
  constructor(message: string) {
    super(message, REFERENCE_RECHECK_SECONDS);
  }
}

/** A resource being deleted that others still refer to: its cloud delete waits for them. */
export class StillReferencedError extends RetryAfterError {
  readonly referrers: readonly string[];
  constructor(referrers: readonly string[]) {
    super(
      `still referenced by ${referrers.join(", ")}; it is deleted once no resource refers to it (delete them, or remove their references)`,
      REFERENCE_RECHECK_SECONDS,
    );
    this.referrers = referrers;
  }
}

export type Resolution =
  /** `values` are forProvider fields; `changed` lists those that differ from the spec. */
  | { kind: "resolved"; values: Record<string, unknown>; changed: string[]; from: string[] }
  | { kind: "waiting"; message: string };

interface Ref {
  name: string;
}

/** Reads a dotted path ("forProvider.x", "status.atProvider.groupId") from an object. */
export function readPath(obj: unknown, path: string): unknown {
  let at: unknown = obj;
  for (const part of path.split(".")) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** The forProvider field a declaration writes, e.g. "vpcSecurityGroupIds". */
export function intoField(decl: ReferenceDeclaration): string {
  const m = /^forProvider\.([A-Za-z0-9]+)$/.exec(decl.into);
  if (!m?.[1]) {
    throw new TerminalError(
      ReferenceCodes.NotAForProviderField,
      `reference ${decl.field} writes into ${decl.into}, which is not a field of spec.forProvider`,
    );
  }
  return m[1];
}

/** The names a declaration's reference field names, in order; empty when it is not set. */
export function namedTargets(mr: Managed, decl: ReferenceDeclaration): string[] {
  const raw = readPath(mr.spec, decl.field);
  const refs = (decl.many ? (Array.isArray(raw) ? raw : []) : raw ? [raw] : []) as Ref[];
  return refs.map((r) => r?.name).filter((n): n is string => typeof n === "string" && n.length > 0);
}

/** The selector's labels, when the declaration has a selector and the spec sets it. */
export function selectorOf(mr: Managed, decl: ReferenceDeclaration): Record<string, string> | undefined {
  if (!decl.selector) return undefined;
  const sel = readPath(mr.spec, decl.selector) as { matchLabels?: Record<string, string> } | undefined;
  return sel?.matchLabels;
}

export function matches(
  labels: Record<string, string> | undefined,
  selector: Record<string, string>,
): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function targetValue(target: Managed, decl: ReferenceDeclaration): unknown {
  if (decl.from === "externalName") return target.metadata.annotations?.[Annotations.externalName];
  return readPath(target, decl.from);
}

const describe = (kind: string, namespace: string, name: string) => `${kind} ${namespace}/${name}`;

/**
 * Resolves every reference of `mr`. Waiting means at least one target is
 * missing, not Ready, or has no value yet; the message names each of them.
 * A target served by another ProviderConfig is a spec error (terminal): its
 * IDs belong to another account or region.
 */
export function resolveReferences(
  mr: Managed,
  decls: readonly ReferenceDeclaration[],
  targets: ReferenceTargets,
): Resolution {
  const namespace = mr.metadata.namespace ?? "";
  const config = mr.spec.providerConfigRef?.name;
  const values: Record<string, unknown> = {};
  const changed: string[] = [];
  const from: string[] = [];
  const waiting: string[] = [];
  for (const decl of decls) {
    const named = namedTargets(mr, decl);
    const selector = selectorOf(mr, decl);
    if (named.length === 0 && !selector) continue;
    const field = intoField(decl);
    const found: { name: string; obj: Managed | undefined }[] = named.map((name) => ({
      name,
      obj: targets.get(decl.kind, namespace, name),
    }));
    if (selector) {
      const chosen = targets
        .list(decl.kind, namespace)
        .filter((t) => !t.metadata.deletionTimestamp && matches(t.metadata.labels, selector))
        .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      if (chosen.length === 0) {
        waiting.push(`a ${decl.kind} in ${namespace} with labels ${canonicalJson(selector)}`);
        continue;
      }
      for (const obj of chosen) found.push({ name: obj.metadata.name, obj });
    }
    const resolved: unknown[] = [];
    for (const { name, obj } of found) {
      const what = describe(decl.kind, namespace, name);
      if (!obj) {
        waiting.push(`${what} (not found)`);
        continue;
      }
      const targetConfig = obj.spec?.providerConfigRef?.name;
      if (targetConfig !== config) {
        throw new TerminalError(
          ReferenceCodes.AcrossProviderConfigs,
          `${decl.field} names ${what}, which uses ProviderConfig "${targetConfig}" while this resource uses "${config}": a reference must stay within one account and region`,
        );
      }
      const ready = getCondition(obj.status?.conditions, ConditionType.Ready)?.status === "True";
      const value = targetValue(obj, decl);
      if (!ready || value === undefined || value === "") {
        waiting.push(`${what} (not Ready yet)`);
        continue;
      }
      resolved.push(value);
      from.push(what);
    }
    if (waiting.length > 0) continue;
    const value = decl.many ? [...new Set(resolved)] : resolved[0];
    values[field] = value;
    if (canonicalJson(readPath(mr.spec.forProvider, field)) !== canonicalJson(value)) changed.push(field);
  }
  if (waiting.length > 0) return { kind: "waiting", message: `waiting for ${waiting.join(", ")}` };
  return { kind: "resolved", values, changed, from };
}
