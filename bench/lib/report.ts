// Output of a benchmark run: a readable table on stdout, one JSON line
// (prefixed "BENCH_JSON ") for machines, and optionally a file under
// bench/results/.
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

export function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const secs = (ms: number) => Math.round(ms / 100) / 10;

export function machine() {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    node: process.versions.node,
    loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Rows of [figure, value, target]; prints them aligned. */
export function table(title: string, rows: [string, string, string][]): string {
  const head: [string, string, string] = ["figure", "measured", "target / anchor"];
  const all = [head, ...rows];
  const w = [0, 1, 2].map((i) => Math.max(...all.map((r) => r[i as 0 | 1 | 2].length)));
  const line = (r: [string, string, string]) =>
    `  ${r[0].padEnd(w[0] ?? 0)}  ${r[1].padStart(w[1] ?? 0)}  ${r[2]}`.trimEnd();
  return [
    `\n${title}`,
    line(head),
    `  ${"-".repeat(w[0] ?? 0)}  ${"-".repeat(w[1] ?? 0)}  ${"-".repeat(w[2] ?? 0)}`,
    ...rows.map(line),
  ].join("\n");
}

export async function emit(bench: string, result: object, save: string | undefined): Promise<void> {
  const line = JSON.stringify({ bench, ...result });
  console.log(`\nBENCH_JSON ${line}`);
  if (save !== undefined) {
    const file = save.includes("/")
      ? save
      : join(RESULTS_DIR, save.endsWith(".json") ? save : `${save}.json`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify({ bench, ...result }, null, 2)}\n`);
    console.log(`saved ${file}`);
  }
}

export const log = (line: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
