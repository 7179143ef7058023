// `setpoint drift`: the drift report of every managed resource, as a table
// for people or as JSON for scripts. Pure formatting; the command fetches.
import type { Managed } from "../controller/api/index.ts";
import { getCondition } from "../controller/reconciler/conditions.ts";

export interface DriftRow {
  kind: string;
  namespace: string;
  name: string;
  externalName: string;
  ready: string;
  synced: string;
  drifted: string;
  /** Drifting now: path with desired and observed values. */
  fields: { path: string; desired: string; observed: string }[];
  corrections: number;
  recreations: number;
  lastCorrectedTime?: string;
  lastCorrection?: { time: string; action: string; fields: string[] };
  message?: string;
}

export function toDriftRow(mr: Managed): DriftRow {
  const conditions = mr.status?.conditions;
  const status = (type: string) => getCondition(conditions, type)?.status ?? "Unknown";
  const drift = mr.status?.drift;
  const last = drift?.history?.find((h) => h.action !== "Reported");
  const synced = getCondition(conditions, "Synced");
  return {
    kind: mr.kind,
    namespace: mr.metadata.namespace ?? "",
    name: mr.metadata.name,
    externalName: mr.metadata.annotations?.["setpoint.dev/external-name"] ?? "",
    ready: status("Ready"),
    synced: status("Synced"),
    drifted: status("Drifted"),
    fields: drift?.fields ?? [],
    corrections: drift?.corrections ?? 0,
    recreations: drift?.recreations ?? 0,
    ...(drift?.lastCorrectedTime ? { lastCorrectedTime: drift.lastCorrectedTime } : {}),
    ...(last ? { lastCorrection: { time: last.time, action: last.action, fields: last.fields } } : {}),
    ...(synced?.status === "False" && synced.message ? { message: synced.message } : {}),
  };
}

const HEADERS = [
  "NAMESPACE",
  "KIND",
  "NAME",
  "READY",
  "SYNCED",
  "DRIFTED",
  "DRIFTING FIELDS",
  "LAST CORRECTION",
  "CORRECTIONS",
  "RECREATIONS",
];

export function renderDriftTable(rows: DriftRow[], now: number = Date.now()): string {
  if (rows.length === 0) return "No managed resources found.\n";
  const lines = rows.map((r) => [
    r.namespace,
    r.kind,
    r.name,
    r.ready,
    r.synced,
    r.drifted,
    r.fields.length === 0 ? "-" : r.fields.map((f) => `${f.path}: ${f.desired} → ${f.observed}`).join("; "),
    r.lastCorrection
      ? `${r.lastCorrection.action} ${r.lastCorrection.fields.join(",")} ${ago(r.lastCorrection.time, now)}`
      : "-",
    String(r.corrections),
    String(r.recreations),
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const notes = rows.filter((r) => r.message).map((r) => `  ${r.namespace}/${r.name}: ${r.message}`);
  return `${[fmt(HEADERS), ...lines.map(fmt)].join("\n")}\n${notes.length ? `\nNot synced:\n${notes.join("\n")}\n` : ""}`;
}

function ago(time: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(time)) / 1000));
  if (s < 120) return `(${s}s ago)`;
  if (s < 7200) return `(${Math.round(s / 60)}m ago)`;
  return `(${Math.round(s / 3600)}h ago)`;
}
