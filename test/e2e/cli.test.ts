// The shipped command as a user runs it: `setpoint run` as a real process
// against the real kube-apiserver and moto, `setpoint drift`, the health and
// metrics endpoints, and a graceful SIGTERM that releases the Lease.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoordinationV1Api } from "@kubernetes/client-node";
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import type { DriftRow } from "../../cli/drift-table.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { Objects } from "../support/engine.ts";
import {
  kubeconfigPath,
  SEED_DB_SUBNET_GROUP,
  testKubeConfig,
  useNamespace,
  waitFor,
} from "../support/env.ts";

const SETPOINT = fileURLToPath(new URL("../../bin/setpoint.mjs", import.meta.url));
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the setpoint command", { timeout: 120_000 }, () => {
  const ns = useNamespace("cli");
  let controller: ChildProcess;
  let exited: Promise<number | null>;
  let metrics: string;
  const output: string[] = [];

  before(async () => {
    await installAwsProviderConfig();
    const port = await freePort();
    metrics = `127.0.0.1:${port}`;
    controller = spawn(
      process.execPath,
      [SETPOINT, "run", "--leader-elect", "--leader-election-namespace", ns.name],
      {
        env: {
          ...process.env,
          KUBECONFIG: kubeconfigPath(),
          SETPOINT_NAMESPACE: ns.name,
          SETPOINT_METRICS_ADDRESS: metrics,
          SETPOINT_POLL_INTERVAL: "2s",
          SETPOINT_CONVERGING_POLL_INTERVAL: "1s",
          SETPOINT_MIN_POLL_INTERVAL: "500ms",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    controller.stdout?.on("data", (d) => output.push(String(d)));
    controller.stderr?.on("data", (d) => output.push(String(d)));
    exited = new Promise((resolve) => controller.once("exit", (code) => resolve(code)));
  });

  after(async () => {
    if (controller.exitCode === null) controller.kill("SIGKILL");
  });

  it("serves /healthz, /readyz and /metrics once its caches are synced", async () => {
    await waitFor(() => fetch(`http://${metrics}/readyz`).then((r) => r.status), {
      what: `GET /readyz to answer 200 (output: ${output.join("").slice(-500)})`,
      until: (s) => s === 200,
      timeoutMs: 30_000,
    });
    assert.equal((await fetch(`http://${metrics}/healthz`)).status, 200);
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    assert.match(text, /setpoint_leader 1/);
    assert.match(text, /setpoint_process_resident_memory_bytes/);
  });

  it("provisions a SqlInstance and `setpoint drift -o json` reports it", async () => {
    const db = new Objects(SqlInstanceKind, ns.name);
    await db.create("cli-db", {
      forProvider: {
        engine: "postgres",
        instanceClass: "db.t3.micro",
        allocatedStorage: 20,
        masterUsername: "app",
        dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
      },
    });
    await db.waitForCondition("cli-db", "Ready", "True");
    const { stdout } = await run(process.execPath, [SETPOINT, "drift", "-n", ns.name, "-o", "json"], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath() },
    });
    const rows = JSON.parse(stdout) as DriftRow[];
    assert.equal(rows.length, 1);
    assert.deepEqual(
      { kind: rows[0]?.kind, name: rows[0]?.name, ready: rows[0]?.ready, synced: rows[0]?.synced },
      { kind: "SqlInstance", name: "cli-db", ready: "True", synced: "True" },
    );
    const table = await run(process.execPath, [SETPOINT, "drift", "-n", ns.name], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath() },
    });
    assert.match(table.stdout, /^NAMESPACE\s+KIND\s+NAME\s+READY/m);
    assert.match(table.stdout, /SqlInstance\s+cli-db\s+True\s+True\s+False/);
  });

  it("exits 0 on SIGTERM and releases its Lease", async () => {
    controller.kill("SIGTERM");
    assert.equal(await exited, 0, output.join("").slice(-1000));
    const lease = await testKubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: "setpoint-controller", namespace: ns.name });
    assert.ok(!lease.spec?.holderIdentity, `lease still held by ${lease.spec?.holderIdentity}`);
  });

  it("rejects a bad flag with a clear message", async () => {
    await assert.rejects(
      run(process.execPath, [SETPOINT, "run", "--concurrency", "zero"]),
      (err: { stderr?: string }) => /--concurrency must be a whole number/.test(err.stderr ?? ""),
    );
  });
});
