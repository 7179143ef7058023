// What the watch caches keep of each object, the way controller-runtime's cache transforms let a
// controller choose. Two steps. stripForCache drops what the engine never reads and which is often
// larger than the object itself: metadata.managedFields and kubectl's last-applied annotation.
// compactForCache then shares strings: JSON.parse makes a new string for every value, so 10,000
// objects hold 10,000 copies of "Ready", "True", "ReconcileSuccess", their apiVersion, kind and
// namespace, and three copies per object of the same condition timestamp. Sharing them saves 14% of
// each cached Widget (1,575 → 1,359 bytes at 1,000, heap snapshots, bench/README.md). Only fields that repeat
// across objects go through the shared pool, so it stays small; any string repeated inside one object
// is shared within it. Strings are immutable, so sharing changes no value anyone reads.

/** The parts of an object the transforms read. */
interface CachedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    managedFields?: unknown;
    finalizers?: string[];
  };
  spec?: unknown;
  status?: unknown;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Drops metadata.managedFields and kubectl's last-applied annotation. Writes go through merge patches,
 * so a cached copy without them never erases them on the server. Returns a copy when it drops anything.
 */
export function stripForCache<T extends CachedObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta) return obj;
  const hasLastApplied = meta.annotations !== undefined && LAST_APPLIED in meta.annotations;
  if (meta.managedFields === undefined && !hasLastApplied) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  if (hasLastApplied && meta.annotations) {
    const { [LAST_APPLIED]: _big, ...annotations } = meta.annotations;
    rest.annotations = annotations;
  }
  return { ...obj, metadata: rest };
}

/** Strings shared across objects. Bounded: once full, new strings are simply not shared. */
export class StringPool {
  readonly #strings = new Map<string, string>();
  readonly #max: number;

  constructor(max = 4096) {
    this.#max = max;
  }

  share(s: string): string {
    const known = this.#strings.get(s);
    if (known !== undefined) return known;
    if (this.#strings.size < this.#max && s.length <= 256) this.#strings.set(s, s);
    return s;
  }

  get size(): number {
    return this.#strings.size;
  }
}

const shared = new StringPool();

/** Fields of spec that are the same across a fleet: policies and references, not provider parameters. */
const SHARED_SPEC_FIELDS = ["deletionPolicy"] as const;

/**
 * stripForCache, then strings shared through the process-wide pool. Takes exactly one argument so that
 * it can be handed to Array.prototype.map without the index landing in a second parameter.
 */
export function compactForCache<T extends CachedObject>(obj: T): T {
  return compactWith(obj, shared);
}

/**
 * stripForCache, then strings shared: apiVersion, kind, namespace, finalizers, annotation keys, the
 * spec's policies and ProviderConfig name, and the conditions' type, status, reason and message go
 * through `pool`; any string that occurs twice under status is kept once. Mutates what it is given,
 * which in a Reflector is an object fresh from the wire that nothing else holds.
 */
export function compactWith<T extends CachedObject>(obj: T, pool: StringPool): T {
  const out = stripForCache(obj);
  const p = (s: unknown) => (typeof s === "string" ? pool.share(s) : s);
  if (out.apiVersion !== undefined) out.apiVersion = pool.share(out.apiVersion);
  if (out.kind !== undefined) out.kind = pool.share(out.kind);
  const meta = out.metadata;
  if (meta) {
    if (meta.namespace !== undefined) meta.namespace = pool.share(meta.namespace);
    if (meta.finalizers) meta.finalizers = meta.finalizers.map((f) => pool.share(f));
    if (meta.annotations) {
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(meta.annotations)) annotations[pool.share(k)] = v;
      meta.annotations = annotations;
    }
  }
  const spec = out.spec as Record<string, unknown> | undefined;
  if (spec) {
    for (const f of SHARED_SPEC_FIELDS) if (typeof spec[f] === "string") spec[f] = p(spec[f]);
    if (Array.isArray(spec.managementPolicies)) spec.managementPolicies = spec.managementPolicies.map(p);
    const ref = spec.providerConfigRef as { name?: unknown } | undefined;
    if (ref && typeof ref.name === "string") ref.name = pool.share(ref.name);
  }
  const status = out.status as Record<string, unknown> | undefined;
  const conditions = status?.conditions;
  if (Array.isArray(conditions)) {
    for (const c of conditions as Record<string, unknown>[]) {
      for (const f of ["type", "status", "reason", "message"]) if (typeof c[f] === "string") c[f] = p(c[f]);
    }
  }
  if (status) shareWithin(status, new Map());
  return out;
}

/** Keeps one copy of each string that occurs more than once under `node` (timestamps, mostly). */
function shareWithin(node: unknown, seen: Map<string, string>): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v = node[i];
      if (typeof v === "string") node[i] = once(v, seen);
      else if (typeof v === "object" && v !== null) shareWithin(v, seen);
    }
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const o = node as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (typeof v === "string") o[k] = once(v, seen);
    else if (typeof v === "object" && v !== null) shareWithin(v, seen);
  }
}

function once(s: string, seen: Map<string, string>): string {
  const known = seen.get(s);
  if (known !== undefined) return known;
  seen.set(s, s);
  return s;
}
