// `setpoint env` as a new user runs it: it starts its own kube-apiserver and moto, applies a
// ProviderConfig for that emulator, and prints how to use them. Following the printed steps (the
// KUBECONFIG, the controller, examples/sqlinstance.yaml) must give a Ready SqlInstance without
// editing anything; with --chart it also installs the Helm chart into its apiserver; Ctrl-C stops
// everything and removes the control plane's files.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../../apis/aws/v1alpha1/providerconfig.ts";
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { applyObjects, readManifests } from "../../cli/apply.ts";
import { freePort } from "../../controlplane/ports.ts";
import { type ManagedProcess, spawnManaged } from "../../controlplane/process.ts";
import { ROOT } from "../../scripts/bundle.ts";
import { Objects } from "../support/engine.ts";
import { waitFor } from "../support/env.ts";
import { fastRunEnv, waitUntilReady } from "../support/roundtrip.ts";
import { needTool, skipUnless } from "../support/tools.ts";

// Only asked for when the test run could build helm, so the rest of the file runs without it.
const helmTool = needTool("helm");

describe("setpoint env", { timeout: 5 * 60_000 }, () => {
  let work: string;
  let env: ManagedProcess;
  let printed: { kubeconfig: string; endpoint: string; chart?: string };
  let kc: KubeConfig;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "setpoint-env-test-"));
    env = spawnManaged({
      name: "setpoint env",
      command: process.execPath,
      args: ["--import", "tsx", join(ROOT, "cli", "main.ts"), "env", ...(helmTool.path ? ["--chart"] : [])],
      cwd: ROOT,
      logPath: join(work, "env.log"),
    });
    const out = await waitFor(() => env.tail(200), {
      what: "setpoint env to print its instructions",
      until: (text) => text.includes("Ctrl-C stops everything") || !env.running(),
      timeoutMs: 3 * 60_000,
    });
    const kubeconfig = /^\s*export KUBECONFIG=(\S+)$/m.exec(out)?.[1];
    const endpoint = /^\s*AWS emulator\s+(\S+)/m.exec(out)?.[1];
    assert.ok(kubeconfig && endpoint, `no KUBECONFIG or emulator endpoint in:\n${out}`);
    printed = {
      kubeconfig,
      endpoint,
      chart: /^\s*Helm chart\s+(.*)\n\s+(.*)$/m.exec(out)?.slice(1).join("\n"),
    };
    kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
  });

  after(async () => {
    await env?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("applies a ProviderConfig for its own emulator, with the emulator's credentials", async () => {
    const pc = (await kc.makeApiClient(CustomObjectsApi).getClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PROVIDER_CONFIG_PLURAL,
      name: "default",
    })) as { spec: { endpoint?: string; credentials: { secretRef?: { namespace: string; name: string } } } };
    assert.equal(pc.spec.endpoint, printed.endpoint);
    const ref = pc.spec.credentials.secretRef;
    assert.ok(ref, "the ProviderConfig names no credentials Secret");
    const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret(ref);
    assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["aws_access_key_id", "aws_secret_access_key"]);
  });

  it("installs the Helm chart into its apiserver when asked with --chart", {
    skip: skipUnless(helmTool),
  }, async () => {
    assert.match(
      printed.chart ?? "",
      /^release setpoint in namespace setpoint-system/,
      `printed: ${printed.chart}`,
    );
    const deployment = /Deployment\/([a-z0-9-]+)/.exec(printed.chart ?? "")?.[1];
    assert.ok(deployment, `the printed chart objects name no Deployment: ${printed.chart}`);
    const apps = kc.makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: deployment, namespace: "setpoint-system" });
    assert.equal(d.spec?.replicas, 2);
    const sa = d.spec?.template.spec?.serviceAccountName ?? "";
    await kc
      .makeApiClient(CoreV1Api)
      .readNamespacedServiceAccount({ name: sa, namespace: "setpoint-system" });
  });

  it("serves the printed steps: the controller on its KUBECONFIG makes examples/sqlinstance.yaml Ready", async () => {
    const metrics = `127.0.0.1:${await freePort()}`;
    const controller = spawnManaged({
      name: "setpoint run (on setpoint env)",
      command: process.execPath,
      args: [join(ROOT, "bin", "setpoint.mjs"), "run"],
      env: {
        ...process.env,
        KUBECONFIG: printed.kubeconfig,
        ...fastRunEnv(metrics),
      },
      logPath: join(work, "controller.log"),
    });
    try {
      const logs = () => controller.tail(40);
      await waitUntilReady(metrics, logs);
      const manifests = await readManifests(join(ROOT, "examples", "sqlinstance.yaml"));
      await applyObjects(kc, manifests);
      const db = manifests.find((m) => m.kind === "SqlInstance");
      const objects = new Objects(SqlInstanceKind, db?.metadata?.namespace ?? "", kc);
      const name = db?.metadata?.name ?? "";
      await objects
        .waitForCondition(name, "Ready", "True", { timeoutMs: 60_000 })
        .catch(async (err) => assert.fail(`${(err as Error).message}\n${await logs()}`));
      await objects.delete(name);
      await objects.waitUntilGone(name, 60_000);
    } finally {
      await controller.stop();
    }
  });

  it("stops everything on Ctrl-C and removes the control plane's files", async () => {
    env.child.kill("SIGINT");
    const exit = await env.exited;
    // 130 = 128 + SIGINT: the local environment's signal handler exits so once it has cleaned up.
    assert.ok(
      exit.code === 130 || exit.code === 0,
      `exit ${exit.code} ${exit.signal}:\n${await env.tail(40)}`,
    );
    assert.equal(existsSync(printed.kubeconfig), false, "the kubeconfig is still there");
  });
});
