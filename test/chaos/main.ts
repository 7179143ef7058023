// `npm run chaos -- --seed N --rounds R --duration 90s`: seeded chaos rounds against the compiled
// build, each in a fresh environment, then a table of the figures (test/chaos/README.md explains them).
// Rounds use seeds N, N+1, ... N+R-1; a failing seed replays with `--seed <it> --rounds 1`.
// The Node version is checked before anything heavy is imported (see bin/node-version.mjs).
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CHECKOUT_HINT, requireNode } from "../../bin/node-version.mjs";
import type { RoundOptions } from "./round.ts";

requireNode("npm run chaos", CHECKOUT_HINT);
const { parseDuration } = await import("../../controller/poll/schedule.ts");
const { bundle } = await import("../../scripts/bundle.ts");
const { DEFAULT_AWS_FAULT_RATES, runRound } = await import("./round.ts");
const { renderTable, summarize } = await import("./report.ts");

const USAGE = `usage: npm run chaos -- [options]

  --seed <n>                 first seed (1); round i uses seed n+i
  --rounds <n>               rounds, each in a fresh environment (1)
  --duration <d>             how long the faults run in each round (90s)
  --max-per-kind <n>         most SqlInstances, and most LoadBalancers, alive at once (8)
  --initial <n>              of each kind, created before the faults start (3)
  --replicas <n>             controller replicas, with --leader-elect (2)
  --poll-interval <d>        the controller's steady poll interval (10s); converged within 5 of these
  --aws-request-timeout <d>  the controller's --aws-request-timeout (3s); slow answers are held 1s longer
  --no-process-faults        no SIGKILLs, no API server or etcd restarts
  --no-out-of-band           no cloud changes behind setpoint's back
  --log-level <level>        the controller's log level (debug: the secret scan reads more lines)
  --save <file>              also write every round's result as JSON
`;

function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      rounds: { type: "string" },
      duration: { type: "string" },
      "max-per-kind": { type: "string" },
      initial: { type: "string" },
      replicas: { type: "string" },
      "poll-interval": { type: "string" },
      "aws-request-timeout": { type: "string" },
      "no-process-faults": { type: "boolean" },
      "no-out-of-band": { type: "boolean" },
      "log-level": { type: "string" },
      save: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return Promise.resolve(0);
  }
  const int = (v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, got "${v}"`);
    return n;
  };
  const dur = (v: string | undefined, d: string) => parseDuration(v ?? d);
  return run({
    seed: int(values.seed, 1),
    rounds: Math.max(1, int(values.rounds, 1)),
    durationMs: dur(values.duration, "90s"),
    maxPerKind: int(values["max-per-kind"], 8),
    initialPerKind: int(values.initial, 3),
    replicas: Math.max(1, int(values.replicas, 2)),
    pollIntervalMs: dur(values["poll-interval"], "10s"),
    awsRequestTimeoutMs: dur(values["aws-request-timeout"], "3s"),
    processFaults: !values["no-process-faults"],
    outOfBand: !values["no-out-of-band"],
    logLevel: values["log-level"] ?? "debug",
    ...(values.save ? { save: values.save } : {}),
  });
}

/** The round settings the command line sets, as runRound takes them. */
type RoundSettings = Pick<
  RoundOptions,
  | "durationMs"
  | "maxPerKind"
  | "initialPerKind"
  | "replicas"
  | "pollIntervalMs"
  | "awsRequestTimeoutMs"
  | "logLevel"
>;

async function run(
  o: RoundSettings & {
    seed: number;
    rounds: number;
    processFaults: boolean;
    outOfBand: boolean;
    save?: string;
  },
): Promise<number> {
  const { seed: first, rounds, processFaults, outOfBand, save, ...settings } = o;
  const log = (line: string) => console.error(line);
  const built = await bundle();
  log(`[chaos] compiled build in dist/ in ${(built.millis / 1000).toFixed(1)}s`);
  const results = [];
  for (let i = 0; i < rounds; i++) {
    const seed = first + i;
    log(`[chaos] round ${i + 1}/${rounds}, seed ${seed}`);
    const r = await runRound({
      ...settings,
      seed,
      awsFaultRates: DEFAULT_AWS_FAULT_RATES,
      ...(processFaults ? { processFaultGapSeconds: [6, 14] as const } : {}),
      ...(outOfBand ? { outOfBandGapSeconds: [2, 5] as const } : {}),
      opGapSeconds: [0.5, 2.5],
      log,
    });
    results.push(r);
    const verdict = r.failures.length === 0 ? "passed" : `FAILED (${r.failures.length})`;
    log(`[chaos] seed ${seed} ${verdict}; controller logs in ${r.logDir}`);
    for (const f of r.failures) log(`  - ${f}`);
    if (save) await writeFile(save, `${JSON.stringify(results, null, 2)}\n`);
  }
  const s = summarize(results);
  console.log(
    `chaos: ${rounds} round(s), seeds ${first}..${first + rounds - 1}, ${settings.durationMs / 1000}s of faults each, ` +
      `${settings.replicas} replicas, poll ${settings.pollIntervalMs / 1000}s, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  console.log(renderTable(results));
  console.log(
    `\ncontroller exits: ${Object.entries(s.exits)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  console.log(
    s.failedRounds.length === 0 ? "every round passed" : `FAILED seeds: ${s.failedRounds.join(", ")}`,
  );
  return s.failedRounds.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
