import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { DEFAULTS } from "../controller/manager/index.ts";
import { addRunOptions, managerOptionsFrom, type RunFlags } from "./run-options.ts";

describe("setpoint run's flags", () => {
  it("default to the manager's own defaults, so each default is written once", () => {
    const cmd = addRunOptions(new Command("run")).exitOverride();
    cmd.parse([], { from: "user" });
    const options = managerOptionsFrom(cmd.opts<RunFlags>());
    assert.deepEqual(options.poll, DEFAULTS.poll);
    assert.equal(options.terminalRetryMs, DEFAULTS.terminalRetryMs);
    assert.equal(options.concurrency, DEFAULTS.concurrency);
    assert.deepEqual(options.rateLimit, {
      qps: DEFAULTS.maxReconcileRate,
      burst: 2 * DEFAULTS.maxReconcileRate,
    });
    assert.equal(options.metricsAddress, DEFAULTS.metricsAddress);
    assert.equal(options.leaderElection.namespace, DEFAULTS.leaderElection.namespace);
    assert.equal(options.statusHeartbeatMs, DEFAULTS.statusHeartbeatMs);
  });
});
