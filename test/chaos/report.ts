// The figures of chaos rounds as a table: one row per round and a total, with faults by type, process
// faults, resources, what went wrong (leaked, duplicated, foreign touched), and time to converge.
import { percentile } from "./checks.ts";
import type { RoundResult } from "./round.ts";

export interface Summary {
  rounds: number;
  failedRounds: number[];
  awsCalls: number;
  awsFaults: Record<string, number>;
  awsFaultsOnChanges: Record<string, number>;
  processFaults: Record<string, number>;
  kills: number;
  apiserverRestarts: number;
  etcdRestarts: number;
  apiserverFreezes: number;
  exits: Record<string, number>;
  resources: number;
  edits: number;
  outOfBand: number;
  leaked: number;
  duplicated: number;
  foreignTouched: number;
  secretsLeaked: number;
  convergeMaxSeconds?: number;
  convergeP99Seconds?: number;
  /** The same, in each round's steady poll intervals. */
  convergeMaxPolls?: number;
  convergeP99Polls?: number;
  late: number;
  never: number;
  /** 1-minute load average, highest at a round's start or end. */
  loadMax: number;
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

export function summarize(results: readonly RoundResult[]): Summary {
  const awsFaults: Record<string, number> = {};
  const awsFaultsOnChanges: Record<string, number> = {};
  const processFaults: Record<string, number> = {};
  const exits: Record<string, number> = {};
  for (const r of results) {
    add(awsFaults, r.awsFaults);
    add(awsFaultsOnChanges, r.awsFaultsOnChanges);
    add(processFaults, r.processFaults);
    add(exits, r.exits);
  }
  const seconds = results.flatMap((r) => r.convergence.seconds);
  const polls = results.flatMap((r) => r.convergence.seconds.map((x) => (x * 1000) / r.pollIntervalMs));
  return {
    rounds: results.length,
    failedRounds: results.filter((r) => r.failures.length > 0).map((r) => r.seed),
    awsCalls: sum(results.map((r) => r.awsCalls)),
    awsFaults,
    awsFaultsOnChanges,
    processFaults,
    kills: sum(results.map((r) => r.kills)),
    apiserverRestarts: (processFaults.restartApiserver ?? 0) + (processFaults.killApiserver ?? 0),
    etcdRestarts: processFaults.restartEtcd ?? 0,
    apiserverFreezes: processFaults.freezeApiserver ?? 0,
    exits,
    resources: sum(results.map((r) => r.resources.created)),
    edits: sum(results.map((r) => sum(Object.values(r.workload.edits)) + r.workload.passwordRotations)),
    outOfBand: sum(results.map((r) => sum(Object.values(r.outOfBand)))),
    leaked: sum(results.map((r) => r.leaked.length)),
    duplicated: sum(results.map((r) => r.duplicated.length)),
    foreignTouched: sum(results.map((r) => r.foreignTouched.length)),
    secretsLeaked: sum(results.map((r) => r.secretsLeaked.length)),
    ...(seconds.length > 0
      ? {
          convergeMaxSeconds: percentile(seconds, 1),
          convergeP99Seconds: percentile(seconds, 0.99),
          convergeMaxPolls: percentile(polls, 1),
          convergeP99Polls: percentile(polls, 0.99),
        }
      : {}),
    late: sum(results.map((r) => r.convergence.late)),
    never: sum(results.map((r) => r.convergence.never)),
    loadMax: Math.max(0, ...results.flatMap((r) => [r.loadAverage.start, r.loadAverage.end])),
  };
}

const COLUMNS = [
  "seed",
  "aws calls",
  "throttle",
  "5xx",
  "reset",
  "slow",
  "drop",
  "on changes",
  "kills",
  "api restarts",
  "api freezes",
  "etcd restarts",
  "crashes",
  "resources",
  "edits",
  "out of band",
  "leaked",
  "duplicated",
  "foreign touched",
  "secrets in logs",
  "converge max",
  "converge p99",
  "max polls",
  "p99 polls",
  "late",
  "load",
] as const;

const secs = (s: number | undefined) => (s === undefined ? "-" : `${s.toFixed(1)}s`);
const polls = (p: number | undefined) => (p === undefined ? "-" : p.toFixed(2));
const inPolls = (s: number | undefined, r: RoundResult) =>
  polls(s === undefined ? undefined : (s * 1000) / r.pollIntervalMs);

function row(r: RoundResult): string[] {
  const p = r.processFaults;
  return [
    String(r.seed),
    String(r.awsCalls),
    String(r.awsFaults.throttle),
    String(r.awsFaults.serverError),
    String(r.awsFaults.reset),
    String(r.awsFaults.slow),
    String(r.awsFaults.dropAfterApply),
    String(sum(Object.values(r.awsFaultsOnChanges))),
    String(r.kills),
    String(p.restartApiserver + p.killApiserver),
    String(p.freezeApiserver),
    String(p.restartEtcd),
    String(r.exits.crashed),
    String(r.resources.created),
    String(sum(Object.values(r.workload.edits)) + r.workload.passwordRotations),
    String(sum(Object.values(r.outOfBand))),
    String(r.leaked.length),
    String(r.duplicated.length),
    String(r.foreignTouched.length),
    String(r.secretsLeaked.length),
    secs(r.convergence.max),
    secs(r.convergence.p99),
    inPolls(r.convergence.max, r),
    inPolls(r.convergence.p99, r),
    String(r.convergence.late + r.convergence.never),
    r.loadAverage.start.toFixed(1),
  ];
}

function totalRow(s: Summary): string[] {
  const f = (k: string) => String(s.awsFaults[k] ?? 0);
  return [
    `all ${s.rounds}`,
    String(s.awsCalls),
    f("throttle"),
    f("serverError"),
    f("reset"),
    f("slow"),
    f("dropAfterApply"),
    String(sum(Object.values(s.awsFaultsOnChanges))),
    String(s.kills),
    String(s.apiserverRestarts),
    String(s.apiserverFreezes),
    String(s.etcdRestarts),
    String(s.exits.crashed ?? 0),
    String(s.resources),
    String(s.edits),
    String(s.outOfBand),
    String(s.leaked),
    String(s.duplicated),
    String(s.foreignTouched),
    String(s.secretsLeaked),
    secs(s.convergeMaxSeconds),
    secs(s.convergeP99Seconds),
    polls(s.convergeMaxPolls),
    polls(s.convergeP99Polls),
    String(s.late + s.never),
    s.loadMax.toFixed(1),
  ];
}

/** A Markdown table (it reads as plain text too): one row per round, then the total. */
export function renderTable(results: readonly RoundResult[]): string {
  const rows = [[...COLUMNS], ...results.map(row), totalRow(summarize(results))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [
    line(head as string[]),
    `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`,
    ...body.map(line),
  ].join("\n");
}
