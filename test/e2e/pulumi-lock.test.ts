// The compiled controller (bin/setpoint.mjs, as the image runs it) killed in the middle of a Pulumi
// update, the way a container is OOM-killed: its whole process group gets SIGKILL, so the CLI dies too
// and leaves its stack locked. The next controller on this host must find the lock stale (taken before
// it started, from this host), remove it, and finish the update; a live lock it would wait for
// (pulumi-s3.test.ts). @pulumi/pulumi comes from the programs folder, not from the bundle.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { freePort } from "../../controlplane/ports.ts";
import { lockDir } from "../../providers/pulumi/locks.ts";
import { ROOT } from "../../scripts/bundle.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { condition } from "../support/engine.ts";
import { kubeconfigPath, uniqueName, useNamespace, waitFor } from "../support/env.ts";
import { ensureStateBucket, putSecret, STATE_BUCKET, s3, stacks, TEST_PROGRAMS } from "../support/pulumi.ts";
import { fastRunEnv, waitUntilReady } from "../support/roundtrip.ts";
import { needTool, pathOf, skipUnless } from "../support/tools.ts";

const pulumi = needTool("pulumi");
const run = promisify(execFile);

class Controller {
  readonly child: ChildProcess;
  readonly output: string[] = [];

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(ROOT, "bin", "setpoint.mjs"), "run"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const s of [this.child.stdout, this.child.stderr]) s?.on("data", (d) => this.output.push(String(d)));
  }

  logs = async () => this.output.join("").slice(-6000);

  /**
   * SIGKILL to the controller and every process under it at once, as when its container is killed
   * (the controller starts each CLI in a process group of its own, so the group alone is not enough).
   */
  async killAll(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once("exit", () => r()));
    const { stdout } = await run("ps", ["-eo", "pid=,ppid="]);
    const children = new Map<number, number[]>();
    for (const line of stdout.trim().split("\n")) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    const tree: number[] = [];
    const visit = (pid: number) => {
      tree.push(pid);
      for (const c of children.get(pid) ?? []) visit(c);
    };
    visit(this.child.pid ?? 0);
    for (const pid of tree) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    await exited;
  }
}

describe("a controller killed in the middle of a Pulumi update", {
  skip: skipUnless(pulumi),
  timeout: 10 * 60_000,
}, () => {
  const ns = useNamespace("pulumi-kill");
  const controllers: Controller[] = [];
  let work: string;

  before(async () => {
    await installAwsProviderConfig();
    await ensureStateBucket();
    await putSecret(ns.name, "stack", { passphrase: "a long and secret passphrase" });
    work = await mkdtemp(join(tmpdir(), "setpoint-pulumi-kill-"));
  });
  after(async () => {
    await Promise.all(controllers.map((c) => c.killAll()));
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function start(): Promise<Controller> {
    const metrics = `127.0.0.1:${await freePort()}`;
    const c = new Controller({
      KUBECONFIG: kubeconfigPath(),
      ...fastRunEnv(metrics, ns.name),
      SETPOINT_PULUMI_PROGRAMS: TEST_PROGRAMS,
      SETPOINT_PULUMI_CLI: pathOf(pulumi),
      SETPOINT_PULUMI_WORK_DIR: join(work, `run-${controllers.length}`),
      SETPOINT_PULUMI_POLL_INTERVAL: "5s",
      SETPOINT_LOG_LEVEL: "info",
    });
    controllers.push(c);
    await waitUntilReady(metrics, c.logs);
    return c;
  }

  it("leaves a lock that the next controller finds stale and removes, and then finishes the update", async () => {
    const objects = stacks(ns.name);
    const name = "slow";
    const bucketName = uniqueName("slow");
    const first = await start();
    await objects.create(name, {
      forProvider: {
        program: "slow",
        config: { bucketName: { value: bucketName }, delaySeconds: { value: "0" } },
        stateRef: { s3: { bucket: STATE_BUCKET, prefix: "e2e" } },
        passphraseSecretRef: { name: "stack", key: "passphrase" },
      },
    });
    await objects.waitForCondition(name, "Ready", "True", { timeoutMs: 180_000 }).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${await first.logs()}`);
    });

    // A change whose up takes 20 s: kill the controller while that up holds the stack's lock.
    await objects.patch(name, { spec: { forProvider: { config: { delaySeconds: { value: "20" } } } } });
    const locks = `e2e/${lockDir(ns.name, name)}/`;
    const lockKeys = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: STATE_BUCKET, Prefix: locks }))).Contents ?? []).map(
        (o) => o.Key,
      );
    await waitFor(lockKeys, {
      what: "the up to take the stack's lock",
      timeoutMs: 120_000,
      until: (k) => k.length > 0,
    });
    await first.killAll();
    assert.equal((await lockKeys()).length, 1, "a CLI killed with SIGKILL leaves its lock behind");

    const second = await start();
    const mr = await waitFor(() => objects.get(name), {
      what: "the update to finish under the second controller",
      timeoutMs: 180_000,
      until: (m) =>
        condition(m, "Synced")?.status === "True" && m?.status?.observedGeneration === m?.metadata.generation,
    }).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${await second.logs()}`);
    });
    assert.equal(condition(mr, "Ready")?.status, "True");
    assert.deepEqual(await lockKeys(), []);
    // One JSON log line with both; its fields come in any order.
    const removed = (await second.logs())
      .split("\n")
      .filter((l) => l.includes("removed a stale Pulumi stack lock"));
    assert.ok(
      removed.some((l) => l.includes("taken by an earlier run of this controller on this host")),
      await second.logs(),
    );

    await objects.delete(name);
    await objects.waitUntilGone(name, 180_000);
  });
});
