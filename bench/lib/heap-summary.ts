// What a heap snapshot says, in the figures bench/README.md uses: the heap by kind of node and
// constructor, what each long-lived field of the engine keeps alive, and the bytes per cached object
// (the Reflector stores' retained size over N). Reading a snapshot of a 10,000-object controller takes
// a few GB, so the benchmark runs it in a child with room (`npm run bench -- heap <file>` by hand).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { byConstructor, fieldsOf, readHeapSnapshot } from "./heap-snapshot.ts";

/** Constructors whose fields are the engine's long-lived state. */
const OWNERS = [
  "Manager",
  "Reflector",
  "PollSweeper",
  "WorkQueue",
  "KubeEventRecorder",
  "KubeConnectionSecretWriter",
  "CachedKubeAccess",
  "SpamFilter",
  "Metrics",
  "MemoryCloud",
  "ManagedReconciler",
  "WrittenObjects",
  "PrefetchedObservations",
  "ConfigWatches",
  "KubeHttp",
];

export interface HeapSummary {
  file: string;
  totalMB: number;
  byKind: { name: string; count: number; mb: number }[];
  fields: { field: string; mb: number }[];
  /** Retained by every Reflector's store, over n. */
  cachedBytesPerObject?: number;
}

const MB = 1024 * 1024;
const r2 = (b: number) => Math.round((b / MB) * 100) / 100;

export async function analyse(file: string, n?: number): Promise<HeapSummary> {
  const g = await readHeapSnapshot(file);
  let total = 0;
  for (let i = 0; i < g.nodeCount; i++) total += g.selfSize[i] ?? 0;
  const fields = fieldsOf(g, new Set(OWNERS));
  const stores = fields.filter((f) => f.owner === "Reflector" && f.field === "#store");
  const storeBytes = stores.reduce((a, f) => a + f.retainedBytes, 0);
  return {
    file,
    totalMB: r2(total),
    byKind: byConstructor(g, 15).map((r) => ({ name: r.name, count: r.count, mb: r2(r.selfBytes) })),
    fields: fields.slice(0, 15).map((f) => ({ field: `${f.owner}.${f.field}`, mb: r2(f.retainedBytes) })),
    ...(n ? { cachedBytesPerObject: Math.round(storeBytes / n) } : {}),
  };
}

/** analyse() in a child process with an 8 GB heap; undefined when it fails (logged by the caller). */
export function summariseSnapshot(file: string, n: number): HeapSummary | undefined {
  const run = fileURLToPath(new URL("../run.ts", import.meta.url));
  const r = spawnSync(
    process.execPath,
    ["--max-old-space-size=8000", "--import", "tsx", run, "heap", "--json", "--per", String(n), file],
    { encoding: "utf8", maxBuffer: 16 * MB },
  );
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (r.status !== 0 || !line) {
    process.stderr.write(`heap snapshot analysis failed: ${r.stderr.slice(-2000)}\n`);
    return undefined;
  }
  return JSON.parse(line) as HeapSummary;
}

export function printHeapSummary(s: HeapSummary): string {
  const lines = [`\n${s.file}: ${s.totalMB} MB of live objects`];
  if (s.cachedBytesPerObject !== undefined)
    lines.push(`  cached bytes per object: ${s.cachedBytesPerObject}`);
  lines.push("  by kind / constructor (self size):");
  for (const k of s.byKind) lines.push(`    ${k.name.padEnd(48)} ${String(k.count).padStart(9)} ${k.mb} MB`);
  lines.push("  retained by the engine's fields:");
  for (const f of s.fields) lines.push(`    ${f.field.padEnd(48)} ${f.mb} MB`);
  return lines.join("\n");
}
