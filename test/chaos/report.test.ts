import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderTable, summarize } from "./report.ts";
import type { RoundResult } from "./round.ts";

function result(seed: number, seconds: number[], over: Partial<RoundResult> = {}): RoundResult {
  const faults = { throttle: 2, serverError: 1, reset: 1, slow: 0, dropAfterApply: 3, refuse: 0 };
  return {
    seed,
    failures: [],
    phases: { setup: 5, chaos: 90, calmToLeader: 1, converge: 10, deleteAll: 8 },
    awsCalls: 100,
    awsMutatingCalls: 20,
    awsFaults: faults,
    awsFaultsOnChanges: { ...faults, throttle: 0 },
    processFaults: {
      killLeader: 2,
      killStandby: 0,
      killAll: 1,
      restartApiserver: 1,
      killApiserver: 1,
      freezeApiserver: 0,
      restartEtcd: 1,
    },
    kills: 4,
    exits: { killed: 4, lostLeadership: 1, startFailed: 0, stopped: 2, crashed: 0 },
    workload: {
      created: 10,
      deleted: 3,
      recreatedNames: 1,
      edits: { "sql.storage": 2 },
      passwordRotations: 1,
      retriedWrites: 0,
    },
    outOfBand: {
      "db.modifyStorage": 1,
      "db.modifyClass": 0,
      "db.retag": 0,
      "db.delete": 1,
      "lb.modifyAttribute": 0,
      "lb.modifyHealthCheck": 0,
      "lb.retag": 0,
      "lb.deleteListener": 2,
      "lb.deleteTargetGroup": 0,
      "lb.delete": 0,
    },
    resources: { created: 10, liveAtCalm: 7 },
    leaked: [],
    duplicated: [],
    foreignTouched: [],
    convergence: { seconds, max: Math.max(...seconds), p99: Math.max(...seconds), late: 0, never: 0 },
    pollIntervalMs: 10_000,
    secretsLeaked: [],
    loadAverage: { start: 3.5, end: 4.25 },
    logDir: "/tmp/x",
    ...over,
  };
}

describe("the chaos report", () => {
  it("adds the rounds up, with time to converge over every resource of every round", () => {
    const s = summarize([
      result(1, [1, 2, 3]),
      result(2, [30], { leaked: [{ type: "listener", id: "a", why: "" }] }),
    ]);
    assert.equal(s.rounds, 2);
    assert.equal(s.awsFaults.dropAfterApply, 6);
    assert.equal(s.kills, 8);
    assert.equal(s.apiserverRestarts, 4);
    assert.equal(s.resources, 20);
    assert.equal(s.edits, 6);
    assert.equal(s.outOfBand, 8);
    assert.equal(s.leaked, 1);
    assert.equal(s.convergeMaxSeconds, 30);
    assert.equal(s.convergeMaxPolls, 3);
    assert.equal(s.loadMax, 4.25);
    assert.deepEqual(s.failedRounds, []);
  });

  it("prints one row per round and a total row, in aligned columns", () => {
    const lines = renderTable([result(7, [2.5, 4])]).split("\n");
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? "", /^\| seed .*\| converge max \| converge p99 \|/);
    assert.match(lines[2] ?? "", /^\| 7 /);
    assert.match(lines[3] ?? "", /^\| all 1 .*\| 4\.0s +\| 4\.0s +\| 0\.40 +\| 0\.40 +\|/);
    assert.ok(lines.every((l) => l.length === lines[0]?.length));
  });
});
