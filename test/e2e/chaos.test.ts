// A short seeded chaos round inside `npm test` (test/chaos/README.md): the compiled controller, two
// replicas with --leader-elect, in an environment of its own, through AWS faults, SIGKILLs of the
// leader, kube-apiserver and etcd restarts, users creating, editing and deleting resources, and the
// cloud changed out of band. Then calm, and the checks against the emulator: nothing duplicated,
// nothing leaked, the foreign fixtures untouched, every resource converged within 5 polls, no secret
// in a log line. `npm run chaos` runs longer rounds on demand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_AWS_FAULT_RATES, type RoundOptions, runRound } from "../chaos/round.ts";

/** The round CI runs: short, so the whole file stays within a few minutes on 2 cores. */
const CI_ROUND: Omit<RoundOptions, "seed" | "log"> = {
  durationMs: 40_000,
  maxPerKind: 4,
  initialPerKind: 2,
  replicas: 2,
  pollIntervalMs: 10_000,
  awsRequestTimeoutMs: 3000,
  awsFaultRates: DEFAULT_AWS_FAULT_RATES,
  processFaultGapSeconds: [5, 10],
  outOfBandGapSeconds: [2, 4],
  opGapSeconds: [0.5, 2],
  logLevel: "debug",
};

/**
 * Seeds this round runs with: the CI seed, then each seed a failure was found with (and fixed), run
 * here with the CI round's settings. `npm run chaos -- --seed N` replays a seed's original round.
 */
const SEEDS: { seed: number; why: string }[] = [
  { seed: 7, why: "the CI round" },
  {
    seed: 101,
    why: "found a target group left behind when the spec dropped it before any status recorded it, and a connection Secret of a deleted predecessor that blocked its successor",
  },
  { seed: 103, why: "found a target group leaked for good after its LoadBalancer was deleted" },
];

describe("a seeded chaos round", { timeout: 15 * 60_000 }, () => {
  for (const { seed, why } of SEEDS) {
    it(`seed ${seed} (${why}) leaves nothing duplicated, leaked or foreign touched, and converges`, async () => {
      const lines: string[] = [];
      const r = await runRound({ ...CI_ROUND, seed, log: (l) => lines.push(l) });
      console.log(
        `chaos seed ${seed}: ${r.awsCalls} AWS calls, faults ${JSON.stringify(r.awsFaults)}, ` +
          `process faults ${JSON.stringify(r.processFaults)}, ${r.resources.created} resources, ` +
          `converged in max ${r.convergence.max?.toFixed(1)}s (p99 ${r.convergence.p99?.toFixed(1)}s)`,
      );
      assert.deepEqual(r.failures, [], `round log:\n${lines.slice(-60).join("\n")}`);
      // Not an empty pass: the round did inject faults and did reconcile resources.
      assert.ok(r.resources.created >= 4 && r.convergence.seconds.length >= 2, "resources were reconciled");
      assert.ok(
        Object.values(r.awsFaults).some((n) => n > 0),
        "AWS faults were injected",
      );
      assert.ok(
        Object.values(r.processFaults).some((n) => n > 0),
        "process faults were injected",
      );
    });
  }
});
