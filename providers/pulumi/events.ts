// Pulumi's engine events → what the engine's drift model reads. Pure functions only.
//
// A refresh compares each resource's last deployed state (`old`) with what its provider reads from the
// cloud (`new`). Real providers (pulumi-resource-kubernetes) name the changed properties in
// detailedDiff; dynamic providers leave it empty, so the changed leaves are found by comparing old and
// new outputs. A preview compares the program's new inputs with the state: that is a plan, not drift.
//
// Paths read like `resources["urn:pulumi:…::orders-bucket"].inputs.versioning`: the section is `inputs`
// when the program sets that property, `outputs` for what only the provider reports. Secret values are
// never copied out: a value that Pulumi marks secret becomes a sensitive FieldDiff, which the engine
// writes as "(redacted)".
import type { FieldDiff } from "../../controller/provider.ts";

/** Pulumi's marker key of a secret value in serialised state and events. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const STACK_TYPE = "pulumi:pulumi:Stack";
const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

/** The parts of Pulumi's engine events read here (a structural subset of automation's EngineEvent). */
export interface StepState {
  type: string;
  urn: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  old?: StepState | null;
  new?: StepState | null;
  diffs?: string[] | null;
  detailedDiff?: Record<string, { diffKind: string; inputDiff: boolean }> | null;
}

export interface EngineEventLike {
  resourcePreEvent?: { metadata: StepMetadata };
  resOutputsEvent?: { metadata: StepMetadata };
  resOpFailedEvent?: { metadata: StepMetadata };
  diagnosticEvent?: { message: string; severity: string; prefix?: string; urn?: string };
}

type Segment = string | number;

export function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && SECRET_SIG in v;
}

/** A resource the drift report is about: not the stack itself and not a provider instance. */
export function isManagedResource(type: string): boolean {
  return type !== STACK_TYPE && !type.startsWith(PROVIDER_TYPE_PREFIX);
}

/** `resources["urn"]`, then `.name` for identifiers and `["key"]` or `[0]` for the rest. */
export function formatPath(urn: string, section?: "inputs" | "outputs", segments: Segment[] = []): string {
  let out = `resources[${JSON.stringify(urn)}]`;
  if (section) out += `.${section}`;
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Parses a Pulumi property path such as `metadata.labels["app.kubernetes.io/name"][0]`. */
export function parsePropertyPath(path: string): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      i++;
    } else if (c === "[") {
      const close = path.indexOf("]", i);
      const inner = path.slice(i + 1, close < 0 ? path.length : close);
      if (/^[0-9]+$/.test(inner)) out.push(Number(inner));
      else if (inner.startsWith('"')) {
        try {
          out.push(JSON.parse(inner) as string);
        } catch {
          out.push(inner.slice(1, -1));
        }
      } else out.push(inner);
      i = close < 0 ? path.length : close + 1;
    } else {
      let j = i;
      while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
      out.push(path.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** The value at `segments`, and whether a secret lay on the way to it. */
function lookup(root: unknown, segments: Segment[]): { value: unknown; secret: boolean } {
  let v: unknown = root;
  let secret = isSecretValue(v);
  for (const s of segments) {
    if (v === null || typeof v !== "object" || isSecretValue(v)) return { value: undefined, secret };
    v = (v as Record<string | number, unknown>)[s];
    secret ||= isSecretValue(v);
  }
  return { value: v, secret };
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : x,
  );
}

/** Properties that are Pulumi's or a provider's bookkeeping, not the resource's: `__provider`, `__inputs`... */
function isBookkeeping(key: string): boolean {
  return key.startsWith("__");
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isSecretValue(v);
}

/** The leaves where `a` and `b` differ; arrays and secrets compare whole. */
function changedLeaves(a: unknown, b: unknown, at: Segment[] = []): Segment[][] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys]
      .filter((k) => !(at.length === 0 && isBookkeeping(k)))
      .sort()
      .flatMap((k) => changedLeaves(a[k], b[k], [...at, k]));
  }
  return canonical(a) === canonical(b) ? [] : [at];
}

function sectionOf(old: StepState | null | undefined, segments: Segment[]): "inputs" | "outputs" {
  const top = segments[0];
  return top !== undefined && old?.inputs && top in old.inputs ? "inputs" : "outputs";
}

function summaryOf(s: StepState | null | undefined): string | undefined {
  return s ? (s.id ? `${s.type} ${s.id}` : s.type) : undefined;
}

function fieldDiff(
  path: string,
  desired: { value: unknown; secret: boolean },
  observed: { value: unknown; secret: boolean },
): FieldDiff {
  const sensitive = desired.secret || observed.secret;
  return sensitive
    ? { path, desired: undefined, observed: undefined, sensitive: true }
    : { path, desired: desired.value, observed: observed.value };
}

/**
 * Drift found by a refresh: for each resource whose provider read something other than the state,
 * one FieldDiff per changed property, or one for the whole resource when it is gone.
 */
export function refreshDrift(events: readonly EngineEventLike[]): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const e of events) {
    const m = e.resOutputsEvent?.metadata;
    if (!m || !isManagedResource(m.type)) continue;
    if (m.op === "delete" || (m.old && !m.new)) {
      out.push({ path: formatPath(m.urn), desired: summaryOf(m.old), observed: undefined });
      continue;
    }
    if (m.op !== "update" || !m.old || !m.new) continue;
    const detailed = Object.entries(m.detailedDiff ?? {});
    const paths =
      detailed.length > 0
        ? detailed.map(([p]) => parsePropertyPath(p))
        : changedLeaves(m.old.outputs ?? {}, m.new.outputs ?? {});
    for (const segments of paths) {
      const section = sectionOf(m.old, segments);
      const inDesired = lookup(m.old.inputs, segments);
      const desired = inDesired.value === undefined ? lookup(m.old.outputs, segments) : inDesired;
      const fromOutputs = lookup(m.new.outputs, segments);
      const observed = fromOutputs.value === undefined ? lookup(m.new.inputs, segments) : fromOutputs;
      out.push(fieldDiff(formatPath(m.urn, section, segments), desired, observed));
    }
  }
  return out;
}

const PLAN_OPS = new Set(["create", "update", "replace", "delete"]);

/**
 * What a preview would change: desired is the program's new input, observed the state's. Creates and
 * deletes are whole resources.
 */
export function planChanges(events: readonly EngineEventLike[]): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || !PLAN_OPS.has(m.op) || !isManagedResource(m.type)) continue;
    if (m.op === "create") {
      out.push({ path: formatPath(m.urn), desired: summaryOf(m.new), observed: undefined });
      continue;
    }
    if (m.op === "delete") {
      out.push({ path: formatPath(m.urn), desired: undefined, observed: summaryOf(m.old) });
      continue;
    }
    const detailed = Object.keys(m.detailedDiff ?? {});
    const paths =
      detailed.length > 0
        ? detailed.map(parsePropertyPath)
        : (m.diffs ?? []).length > 0
          ? (m.diffs ?? []).filter((k) => !isBookkeeping(k)).map((k) => [k])
          : changedLeaves(m.old?.inputs ?? {}, m.new?.inputs ?? {});
    for (const segments of paths) {
      const desired = lookup(m.new?.inputs, segments);
      const inState = lookup(m.old?.inputs, segments);
      const observed = inState.value === undefined ? lookup(m.old?.outputs, segments) : inState;
      out.push(fieldDiff(formatPath(m.urn, "inputs", segments), desired, observed));
    }
  }
  return out;
}

export interface StackState {
  /** Resources in the state besides the stack and providers. */
  resources: number;
  /** The stack's outputs as last deployed: plain ones, and the names of secret ones. */
  outputs: Record<string, unknown>;
  secretOutputs: string[];
}

/** The stack's state as a refresh or preview saw it before changing anything. */
export function stackState(events: readonly EngineEventLike[]): StackState {
  const urns = new Set<string>();
  let root: Record<string, unknown> = {};
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m?.old) continue;
    if (m.type === STACK_TYPE) root = m.old.outputs ?? {};
    else if (isManagedResource(m.type)) urns.add(m.urn);
  }
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [k, v] of Object.entries(root)) {
    if (isSecretValue(v)) secretOutputs.push(k);
    else outputs[k] = v;
  }
  return { resources: urns.size, outputs, secretOutputs: secretOutputs.sort() };
}

/** The plugin Pulumi warns about on every run because setpoint provides it on PATH on purpose. */
const EXPECTED_WARNINGS = [/using pulumi-resource-pulumi-nodejs from \$PATH/];

/** Error diagnostics, each on one line, in the order Pulumi reported them, without repeats. */
export function errorMessages(events: readonly EngineEventLike[]): string[] {
  const seen = new Set<string>();
  for (const e of events) {
    const d = e.diagnosticEvent;
    if (d?.severity !== "error") continue;
    const text = d.message.replace(/\s+/g, " ").trim();
    if (text && text !== "update failed" && !EXPECTED_WARNINGS.some((w) => w.test(text))) seen.add(text);
  }
  return [...seen];
}
