import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { DEFAULTS } from "../controller/manager/index.ts";
import { SDK_REQUEST_TIMEOUT_MS } from "../providers/aws/shared/index.ts";
import { addRunOptions, awsOptionsFrom, managerOptionsFrom, type RunFlags } from "./run-options.ts";

function parse(args: string[], env: Record<string, string> = {}): RunFlags {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const cmd = addRunOptions(new Command("run"))
      .exitOverride()
      .configureOutput({ writeErr: () => {} });
    cmd.parse(args, { from: "user" });
    return cmd.opts<RunFlags>();
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

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

  it("time AWS requests out after the SDK default, or what --aws-request-timeout or its variable say", () => {
    assert.deepEqual(awsOptionsFrom(parse([])), { requestTimeoutMs: SDK_REQUEST_TIMEOUT_MS });
    assert.deepEqual(awsOptionsFrom(parse(["--aws-request-timeout", "2s"])), { requestTimeoutMs: 2000 });
    assert.deepEqual(awsOptionsFrom(parse([], { SETPOINT_AWS_REQUEST_TIMEOUT: "1500ms" })), {
      requestTimeoutMs: 1500,
    });
  });

  it("refuse an AWS request timeout of zero or one that is no duration", () => {
    assert.throws(
      () => parse(["--aws-request-timeout", "0s"]),
      /--aws-request-timeout must be longer than 0/,
    );
    assert.throws(() => parse(["--aws-request-timeout", "soon"]), /invalid duration/);
  });
});
