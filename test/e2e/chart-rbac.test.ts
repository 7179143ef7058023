// The chart's RBAC is enough, and no more: the chart is installed with helm, the controller (this
// checkout's code, `setpoint run` as a process, with the environment the chart's Deployment gives it)
// runs under a token of the chart's ServiceAccount from the TokenRequest API, and reconciles a
// SqlInstance against moto to Ready, with a generated password Secret, a connection Secret, Events, the
// leader Lease and its own CRDs applied at start; then deletes it. It also runs the tenancy gate on the
// Namespace watch: a ProviderConfig whose namespaceSelector leaves the tenant's namespace out, until the
// namespace is labelled (a label change is a watch event). A verb missing from
// deploy/rbac/rules.ts fails this test. The test API server runs OwnerReferencesPermissionEnforcement,
// so the Secrets' blockOwnerDeletion is checked too.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { freePort } from "../../controlplane/ports.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { Objects } from "../support/engine.ts";
import {
  createNamespace,
  SEED_DB_SUBNET_GROUP,
  type TestNamespace,
  uniqueName,
  waitFor,
} from "../support/env.ts";
import { CHART_DIR, controllerEnv, findObject, Helm, parseManifests } from "../support/helm.ts";
import { kubeRequest, mayDo, serverAndCa, serviceAccountToken } from "../support/kube-http.ts";
import { needTool, pathOf, skipUnless } from "../support/tools.ts";

const helmTool = needTool("helm");
const SETPOINT = fileURLToPath(new URL("../../bin/setpoint.mjs", import.meta.url));

function tokenKubeconfig(server: string, caPem: string, token: string, user: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "test",
        cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: "sa", context: { cluster: "test", user } }],
    "current-context": "sa",
  });
}

describe("the controller under the chart's ServiceAccount", {
  skip: skipUnless(helmTool),
  timeout: 240_000,
}, () => {
  let helm: Helm;
  let system: TestNamespace;
  let tenant: TestNamespace;
  let release: string;
  let saUser: string;
  let dir: string;
  let controller: ChildProcess | undefined;
  let exited: Promise<number | null>;
  const output: string[] = [];
  let metrics: string;

  before(async () => {
    helm = new Helm(pathOf(helmTool));
    await installAwsProviderConfig();
    system = await createNamespace("sp-system");
    tenant = await createNamespace("sp-tenant");
    release = uniqueName("rbac");
    await helm.run(["install", release, CHART_DIR, "--namespace", system.name]);
    const deployment = findObject(
      parseManifests((await helm.run(["get", "manifest", release, "--namespace", system.name])).stdout),
      "Deployment",
    );
    const sa = (deployment.spec as { template: { spec: { serviceAccountName: string } } }).template.spec
      .serviceAccountName;
    saUser = `system:serviceaccount:${system.name}:${sa}`;
    const token = await serviceAccountToken(system.name, sa);
    const { server, caPem } = serverAndCa();
    dir = await mkdtemp(join(tmpdir(), "setpoint-sa-"));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, tokenKubeconfig(server, caPem, token, saUser), { mode: 0o600 });

    // The chart's environment, as a pod would get it, except what only a pod has or this test must
    // change: the downward-API namespace, a free local port, fast polls, and one namespace to watch
    // (other test files leave resources in theirs; the RBAC is cluster-wide either way).
    const env: Record<string, string> = {};
    for (const e of controllerEnv(deployment)) if (e.value !== undefined) env[e.name] = e.value;
    assert.equal(env.SETPOINT_INSTALL_CRDS, "true", "the chart's default applies the CRDs at start");
    assert.equal(env.SETPOINT_LEADER_ELECT, "true");
    metrics = `127.0.0.1:${await freePort()}`;
    Object.assign(env, {
      SETPOINT_LEADER_ELECTION_NAMESPACE: system.name,
      SETPOINT_METRICS_ADDRESS: metrics,
      SETPOINT_NAMESPACE: tenant.name,
      SETPOINT_POLL_INTERVAL: "2s",
      SETPOINT_CONVERGING_POLL_INTERVAL: "1s",
      SETPOINT_MIN_POLL_INTERVAL: "500ms",
      KUBECONFIG: kubeconfig,
    });
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("SETPOINT_") && k !== "KUBECONFIG"),
    );
    controller = spawn(process.execPath, [SETPOINT, "run"], {
      env: { ...inherited, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    controller.stdout?.on("data", (d) => output.push(String(d)));
    controller.stderr?.on("data", (d) => output.push(String(d)));
    exited = new Promise((resolve) => controller?.once("exit", (code) => resolve(code)));
  });

  after(async () => {
    if (controller && controller.exitCode === null) {
      controller.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (controller.exitCode === null) controller.kill("SIGKILL");
    }
    if (release) await helm.run(["uninstall", release, "--namespace", system.name]).catch(() => {});
    await tenant?.delete();
    await system?.delete();
    await helm?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const log = () => output.join("").slice(-3000);

  it("starts, applies its CRDs and takes the Lease in the release namespace", async () => {
    await waitFor(() => fetch(`http://${metrics}/readyz`).then((r) => r.status), {
      what: `the controller's /readyz to answer 200 (output: ${log()})`,
      until: (s) => s === 200,
      timeoutMs: 60_000,
    });
    assert.match(output.join(""), /installed CRDs/);
    const lease = await waitFor(
      () =>
        kubeRequest<{ spec?: { holderIdentity?: string } }>(
          "GET",
          `/apis/coordination.k8s.io/v1/namespaces/${system.name}/leases/setpoint-controller`,
        ),
      {
        what: "the controller to hold the Lease",
        until: (r) => r.status === 200 && !!r.body.spec?.holderIdentity,
      },
    );
    assert.ok(lease.body.spec?.holderIdentity);
  });

  it("reconciles a SqlInstance to Ready, with its password and connection Secrets and Events", async () => {
    const db = new Objects(SqlInstanceKind, tenant.name);
    await db.create("rbac-db", {
      writeConnectionSecretToRef: { name: "rbac-db-connection" },
      forProvider: {
        engine: "postgres",
        instanceClass: "db.t3.micro",
        allocatedStorage: 20,
        masterUsername: "app",
        dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
      },
    });
    await db.waitForCondition("rbac-db", "Ready", "True", { timeoutMs: 60_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\ncontroller output:\n${log()}`);
    });
    const connection = await waitFor(
      () =>
        kubeRequest<{ data?: Record<string, string> }>(
          "GET",
          `/api/v1/namespaces/${tenant.name}/secrets/rbac-db-connection`,
        ),
      { what: "the connection Secret", until: (r) => r.status === 200 },
    );
    assert.ok(connection.body.data?.password, "the connection Secret holds the generated password");
    const events = await kubeRequest<{ items: { reason: string }[] }>(
      "GET",
      `/api/v1/namespaces/${tenant.name}/events`,
    );
    assert.ok(events.body.items.length > 0, "the controller wrote Events");
  });

  it("deletes it again, through its finalizer", async () => {
    const db = new Objects(SqlInstanceKind, tenant.name);
    await db.delete("rbac-db");
    await db.waitUntilGone("rbac-db").catch((err: Error) => {
      throw new Error(`${err.message}\ncontroller output:\n${log()}`);
    });
  });

  it("refuses a namespace its ProviderConfig does not select, and reconciles it once the namespace is labelled", async () => {
    const config = uniqueName("rbac-tenants");
    await installAwsProviderConfig(config, {
      spec: { namespaceSelector: { matchLabels: { "setpoint.dev/e2e-rbac": config } } },
    });
    const db = new Objects(SqlInstanceKind, tenant.name);
    await db.create("gated-db", {
      providerConfigRef: { name: config },
      forProvider: {
        engine: "postgres",
        instanceClass: "db.t3.micro",
        allocatedStorage: 20,
        masterUsername: "app",
        dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
      },
    });
    const refused = await db
      .waitForCondition("gated-db", "Synced", "False", { reason: "ReconcileTerminal", timeoutMs: 60_000 })
      .catch((err: Error) => {
        throw new Error(`${err.message}\ncontroller output:\n${log()}`);
      });
    assert.match(
      refused.status?.conditions?.find((c) => c.type === "Synced")?.message ?? "",
      /NamespaceNotAllowed/,
    );
    const labelled = await kubeRequest(
      "PATCH",
      `/api/v1/namespaces/${tenant.name}`,
      { metadata: { labels: { "setpoint.dev/e2e-rbac": config } } },
      "application/merge-patch+json",
    );
    assert.equal(labelled.status, 200);
    await db.waitForCondition("gated-db", "Ready", "True", { timeoutMs: 60_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\ncontroller output:\n${log()}`);
    });
    await db.delete("gated-db");
    await db.waitUntilGone("gated-db");
  });

  it("was never refused by the API server", () => {
    // A refused watch is logged as "HTTP 403" and retried, which would otherwise pass unnoticed.
    assert.doesNotMatch(output.join(""), /forbidden|HTTP 403/i);
  });

  // The deny side of least privilege, asked of the API server's own authorizer.
  const refused: { what: string; verb: string; resource: string; group?: string; subresource?: string }[] = [
    { what: "delete Secrets", verb: "delete", resource: "secrets" },
    { what: "patch Secrets", verb: "patch", resource: "secrets" },
    { what: "delete SqlInstances", verb: "delete", resource: "sqlinstances", group: "aws.setpoint.dev" },
    {
      what: "create ProviderConfigs",
      verb: "create",
      resource: "providerconfigs",
      group: "aws.setpoint.dev",
    },
    {
      what: "update ProviderConfigs",
      verb: "update",
      resource: "providerconfigs",
      group: "aws.setpoint.dev",
    },
    { what: "read ConfigMaps", verb: "get", resource: "configmaps" },
    { what: "get a Namespace (its labels come from the watch)", verb: "get", resource: "namespaces" },
    { what: "update Namespaces", verb: "update", resource: "namespaces" },
    { what: "create Pods", verb: "create", resource: "pods" },
    {
      what: "create CRDs",
      verb: "create",
      resource: "customresourcedefinitions",
      group: "apiextensions.k8s.io",
    },
  ];
  // The metadata-only Secret watch (controller/kube/secret-versions.ts); deploy/rbac/rules.ts says what
  // this widens and why.
  for (const verb of ["list", "watch"]) {
    it(`may ${verb} Secrets, for the watch of their versions`, async () => {
      assert.equal(await mayDo(saUser, { verb, resource: "secrets", namespace: tenant.name }), true);
    });
  }

  for (const r of refused) {
    it(`may not ${r.what}`, async () => {
      assert.equal(await mayDo(saUser, { ...r, namespace: tenant.name }), false);
    });
  }

  it("may not touch Leases outside the release namespace, nor other Leases in it", async () => {
    const lease = { verb: "update", resource: "leases", group: "coordination.k8s.io" };
    assert.equal(
      await mayDo(saUser, { ...lease, namespace: tenant.name, name: "setpoint-controller" }),
      false,
    );
    assert.equal(await mayDo(saUser, { ...lease, namespace: system.name, name: "someone-else" }), false);
    assert.equal(
      await mayDo(saUser, { ...lease, namespace: system.name, name: "setpoint-controller" }),
      true,
    );
  });

  it("ships tenant roles: edit creates the managed kinds but neither ProviderConfigs, their status nor Secrets", async () => {
    const user = `tenant-${release}`;
    const binding = await kubeRequest(
      "POST",
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${tenant.name}/rolebindings`,
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "tenant-edit", namespace: tenant.name },
        roleRef: {
          apiGroup: "rbac.authorization.k8s.io",
          kind: "ClusterRole",
          name: `${release}-setpoint-edit`,
        },
        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
      },
    );
    assert.equal(binding.status, 201, JSON.stringify(binding.body));
    const group = "aws.setpoint.dev";
    const may = (attrs: { verb: string; resource: string; group?: string; subresource?: string }) =>
      mayDo(user, { ...attrs, namespace: tenant.name });
    // The apiserver's RBAC authorizer reads RoleBindings from an informer: a new one takes a moment.
    await waitFor(() => may({ verb: "create", resource: "sqlinstances", group }), {
      what: "the tenant's RoleBinding to take effect",
      timeoutMs: 10_000,
      until: (allowed) => allowed,
    });
    assert.equal(await may({ verb: "create", resource: "pulumistacks", group: "pulumi.setpoint.dev" }), true);
    assert.equal(await may({ verb: "delete", resource: "loadbalancers", group }), true);
    assert.equal(
      await may({ verb: "update", resource: "sqlinstances", group, subresource: "status" }),
      false,
    );
    assert.equal(await may({ verb: "create", resource: "providerconfigs", group }), false);
    assert.equal(await may({ verb: "get", resource: "secrets" }), false);
    assert.equal(
      await mayDo(user, { verb: "create", resource: "sqlinstances", group, namespace: system.name }),
      false,
    );
  });

  it("may patch only setpoint's own CRDs", async () => {
    const crd = { verb: "patch", resource: "customresourcedefinitions", group: "apiextensions.k8s.io" };
    assert.equal(await mayDo(saUser, { ...crd, name: "sqlinstances.aws.setpoint.dev" }), true);
    assert.equal(await mayDo(saUser, { ...crd, name: "widgets.example.com" }), false);
  });
});
