// Reads counters from a Prometheus text exposition (the controller
// process's /metrics) or from an in-process prom-client registry.
import type { Registry } from "prom-client";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the text format; comments and histogram/summary details are kept as plain samples. */
export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ""] = l[2] ?? "";
    }
    out.push({ name: m[1] ?? "", labels, value: Number(m[4]) });
  }
  return out;
}

export async function scrape(address: string): Promise<Sample[]> {
  const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET http://${address}/metrics answered ${res.status}`);
  return parseProm(await res.text());
}

export async function samplesOf(registry: Registry): Promise<Sample[]> {
  return parseProm(await registry.metrics());
}

/** Sum of every sample named `name` whose labels include `match`. */
export function sum(samples: Sample[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

/** Per-label-value totals of a counter, e.g. cloud calls by operation. */
export function byLabel(samples: Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? "";
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** after - before, per key; keys with no change are dropped. */
export function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}
