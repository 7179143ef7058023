// The Helm chart (deploy/helm/setpoint) and the kustomize base (deploy/kustomize/base) on the real API
// server: lint, every rendered object accepted by a server-side dry run, the pod template admitted under
// the restricted Pod Security Standard, and a real helm install, upgrade and uninstall. There is no
// kubelet, so no pod runs: test/e2e/chart-rbac.test.ts runs the controller as a process under the
// chart's ServiceAccount instead.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { parse } from "yaml";
import { oldSpaceMbFor } from "../../bin/heap-flags.mjs";
import { filesUnder, KUSTOMIZE_BASE_DIR, kustomizeFiles, ROOT } from "../../deploy/generate.ts";
import { ALL } from "../../providers/index.ts";
import { createNamespace, type TestNamespace, uniqueName, useNamespace } from "../support/env.ts";
import {
  CHART_DIR,
  controllerEnv,
  findObject,
  Helm,
  parseManifests,
  podTemplateOf,
} from "../support/helm.ts";
import { type KubeObject, kubeRequest, serverSideApply } from "../support/kube-http.ts";
import { runFlags } from "../support/run-flags.ts";
import { needTool, pathOf, skipUnless } from "../support/tools.ts";

const helmTool = needTool("helm");
const kustomizeTool = needTool("kustomize");
const run = promisify(execFile);

async function dryRunAll(objects: KubeObject[], namespace: string): Promise<void> {
  const refused: string[] = [];
  for (const obj of objects) {
    const r = await serverSideApply(obj, { dryRun: true, namespace });
    if (r.status !== 200 && r.status !== 201) {
      refused.push(`${obj.kind} ${obj.metadata.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
    }
  }
  assert.deepEqual(refused, [], "objects the API server refused");
}

/** A value for a flag that differs from the chart's default, so the test sees it was passed through. */
function testValueFor(
  key: string,
  def: string | undefined,
  chartDefault: unknown,
): string | number | boolean {
  if (key === "metricsAddress") return "0.0.0.0:9443";
  if (typeof chartDefault === "boolean") return !chartDefault;
  if (def && /^\d+$/.test(def)) return Number(def) + 7;
  if (def && /^"\d+(ms|s|m|h)"$/.test(def)) return "7s";
  return `test-${key}`;
}

describe("the Helm chart", { skip: skipUnless(helmTool), timeout: 180_000 }, () => {
  let helm: Helm;
  before(() => {
    helm = new Helm(pathOf(helmTool));
  });
  after(async () => {
    await helm?.dispose();
  });

  it("passes helm lint --strict", async () => {
    const { stdout } = await helm.run(["lint", "--strict", CHART_DIR]);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("passes every `setpoint run` flag to the controller as the flag's environment variable", async () => {
    const flags = await runFlags();
    const defaults = (
      parse(await readFile(join(CHART_DIR, "values.yaml"), "utf8")) as { run: Record<string, unknown> }
    ).run;
    const run: Record<string, unknown> = {};
    for (const f of flags) run[f.key] = testValueFor(f.key, f.default, defaults[f.key]);
    // One replica: two need leader election, which this render turns off.
    const objects = await helm.template("rel", "ns", { run, replicaCount: 1 });
    const env = controllerEnv(findObject(objects, "Deployment"));
    for (const f of flags) {
      const v = env.find((e) => e.name === f.env);
      assert.equal(v?.value, String(run[f.key]), `--${f.flag} (run.${f.key}) should set ${f.env}`);
    }
    const deployment = findObject(objects, "Deployment");
    const ports = (podTemplateOf(deployment).spec.containers[0] as { ports?: { containerPort: number }[] })
      .ports;
    assert.equal(ports?.[0]?.containerPort, 9443, "the metrics port follows run.metricsAddress");
  });

  it("leaves the leader election namespace to the pod's own namespace by default", async () => {
    const env = controllerEnv(findObject(await helm.template("rel", "ns"), "Deployment"));
    assert.deepEqual(env.find((e) => e.name === "SETPOINT_LEADER_ELECTION_NAMESPACE")?.valueFrom, {
      fieldRef: { fieldPath: "metadata.namespace" },
    });
    const role = findObject(await helm.template("rel", "ns"), "Role");
    assert.equal(role.metadata.namespace, "ns");
  });

  // With no explicit ceiling the chart sets none: the image's launcher derives it from the cgroup limit
  // (bin/heap-flags.mjs, unit-tested there), so the pod's limit and V8's ceiling cannot disagree.
  const heapCases: { limit: string | null; explicit?: number; expected: string | undefined }[] = [
    { limit: "512Mi", expected: undefined },
    { limit: "1Gi", expected: undefined },
    { limit: "1Gi", explicit: 900, expected: "--max-old-space-size=900" },
    { limit: null, explicit: 300, expected: "--max-old-space-size=300" },
    { limit: null, expected: undefined },
  ];
  for (const c of heapCases) {
    it(`${c.expected ? `sets V8's old space to ${c.expected}` : "leaves V8's old space to the launcher"} with a memory limit of ${c.limit ?? "none"}${c.explicit ? ` and node.maxOldSpaceSizeMiB ${c.explicit}` : ""}`, async () => {
      const values = {
        resources: { limits: c.limit === null ? null : { cpu: "1", memory: c.limit } },
        node: { maxOldSpaceSizeMiB: c.explicit ?? 0 },
      };
      const env = controllerEnv(findObject(await helm.template("rel", "ns", values), "Deployment"));
      assert.equal(env.find((e) => e.name === "NODE_OPTIONS")?.value, c.expected);
    });
  }

  it("ships memory requests and limits under which the launcher leaves V8 room below the limit", async () => {
    const pod = podTemplateOf(findObject(await helm.template("rel", "ns"), "Deployment"));
    const { resources } = pod.spec.containers[0] as unknown as {
      resources: { requests: { memory: string }; limits: { memory: string } };
    };
    assert.deepEqual(
      { request: resources.requests.memory, limit: resources.limits.memory },
      { request: "256Mi", limit: "512Mi" },
    );
    assert.equal(oldSpaceMbFor(512 * 1024 * 1024), 384);
  });

  it("refuses two replicas without leader election, with the reason", async () => {
    await assert.rejects(
      helm.template("rel", "ns", { run: { leaderElect: false } }),
      /replicaCount > 1 needs run.leaderElect: true/,
    );
  });

  it("grants CRD rights only with run.installCrds, and create only with crds.allowCreate", async () => {
    const names = (objs: KubeObject[]) =>
      objs.filter((o) => o.kind === "ClusterRole").map((o) => o.metadata.name);
    assert.deepEqual(
      names(
        await helm.template("rel", "ns", {
          run: { installCrds: false },
          rbac: { tenantRoles: { create: false } },
        }),
      ),
      ["rel-setpoint"],
    );
    const withCrds = await helm.template("rel", "ns");
    const verbs = (objs: KubeObject[]) =>
      (findObject(objs, "ClusterRole", "-crds").rules as { verbs: string[] }[])
        .flatMap((r) => r.verbs)
        .sort();
    assert.deepEqual(verbs(withCrds), ["get", "patch"]);
    assert.deepEqual(verbs(await helm.template("rel", "ns", { crds: { allowCreate: true } })), [
      "create",
      "get",
      "patch",
    ]);
  });

  it("ships tenant roles that aggregate into edit and view, with no ProviderConfigs and no status", async () => {
    const objs = await helm.template("rel", "ns");
    const edit = findObject(objs, "ClusterRole", "-setpoint-edit");
    const view = findObject(objs, "ClusterRole", "-setpoint-view");
    const labels = (o: KubeObject) => (o.metadata.labels ?? {}) as Record<string, string>;
    assert.equal(labels(edit)["rbac.authorization.k8s.io/aggregate-to-edit"], "true");
    assert.equal(labels(edit)["rbac.authorization.k8s.io/aggregate-to-admin"], "true");
    assert.equal(labels(view)["rbac.authorization.k8s.io/aggregate-to-view"], "true");
    const resources = (o: KubeObject) => (o.rules as { resources: string[] }[]).flatMap((r) => r.resources);
    for (const role of [edit, view]) {
      // Every managed kind of every group, and nothing else.
      assert.deepEqual(resources(role).sort(), ALL.kinds.map((k) => k.def.plural).sort());
    }
    const plain = await helm.template("rel", "ns", {
      rbac: { tenantRoles: { aggregateToDefaultRoles: false } },
    });
    assert.equal(
      labels(findObject(plain, "ClusterRole", "-setpoint-edit"))[
        "rbac.authorization.k8s.io/aggregate-to-edit"
      ],
      undefined,
    );
  });

  describe("on the API server", () => {
    const ns = useNamespace("chart");

    it("accepts every object the chart renders (server-side dry run), IRSA annotation included", async () => {
      const objects = await helm.template("dry", ns.name, {
        serviceAccount: {
          annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/setpoint" },
        },
        crds: { allowCreate: true },
      });
      assert.deepEqual([...new Set(objects.map((o) => o.kind))].sort(), [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "PodDisruptionBudget",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
      ]);
      await dryRunAll(objects, ns.name);
      // `helm show crds` prints the files back to back, without separators; template splits them.
      const crds = (await helm.template("dry", ns.name, {}, ["--include-crds"])).filter(
        (o) => o.kind === "CustomResourceDefinition",
      );
      assert.equal(crds.length, ALL.crds.length);
      await dryRunAll(crds, ns.name);
    });

    it("renders a ServiceMonitor that selects the metrics Service by its labels and port name", async () => {
      // The test API server has no prometheus-operator CRDs, so this one is checked, not applied.
      const objects = await helm.template("mon", ns.name, { metrics: { serviceMonitor: { enabled: true } } });
      const monitor = findObject(objects, "ServiceMonitor");
      const service = findObject(objects, "Service", "-metrics");
      const spec = monitor.spec as {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
        namespaceSelector: { matchNames: string[] };
      };
      const labels = service.metadata.labels as Record<string, string>;
      for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.equal(labels[k], v, k);
      const ports = (service.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
      assert.ok(ports.includes(spec.endpoints[0]?.port ?? ""), `${spec.endpoints[0]?.port} among ${ports}`);
      assert.equal(spec.endpoints[0]?.path, "/metrics");
      assert.deepEqual(spec.namespaceSelector.matchNames, [ns.name]);
    });
  });

  describe("under the restricted Pod Security Standard", () => {
    let restricted: TestNamespace;
    before(async () => {
      restricted = await createNamespace("psa");
      const r = await kubeRequest(
        "PATCH",
        `/api/v1/namespaces/${restricted.name}`,
        {
          metadata: {
            labels: {
              "pod-security.kubernetes.io/enforce": "restricted",
              "pod-security.kubernetes.io/enforce-version": "latest",
              "pod-security.kubernetes.io/warn": "restricted",
            },
          },
        },
        "application/merge-patch+json",
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });
    after(async () => {
      await restricted?.delete();
    });

    function podFrom(deployment: KubeObject, name: string): KubeObject {
      const template = podTemplateOf(deployment);
      return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: restricted.name, labels: template.metadata.labels },
        spec: template.spec,
      };
    }

    it("admits a Pod made from the chart's pod template, and the Deployment without a warning", async () => {
      const objects = await helm.template("psa", restricted.name);
      const deployment = findObject(objects, "Deployment");
      const pod = await kubeRequest(
        "POST",
        `/api/v1/namespaces/${restricted.name}/pods?dryRun=All`,
        podFrom(deployment, "psa-pod"),
      );
      assert.equal(pod.status, 201, JSON.stringify(pod.body));
      const applied = await serverSideApply(deployment, { dryRun: true });
      assert.equal(applied.status, 201, JSON.stringify(applied.body));
      assert.deepEqual(applied.warnings, []);
    });

    it("refuses the same Pod without the chart's security context, so the namespace does enforce", async () => {
      const deployment = findObject(await helm.template("psa", restricted.name), "Deployment");
      const pod = podFrom(deployment, "psa-control");
      const spec = pod.spec as PodSpecWithSecurity;
      delete spec.securityContext;
      for (const c of spec.containers) delete c.securityContext;
      const r = await kubeRequest<{ message?: string }>(
        "POST",
        `/api/v1/namespaces/${restricted.name}/pods?dryRun=All`,
        pod,
      );
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.match(r.body.message ?? "", /violates PodSecurity "restricted:latest"/);
    });
  });

  describe("helm install, upgrade and uninstall", () => {
    const ns = useNamespace("helm");
    let release: string;
    before(() => {
      release = uniqueName("sp");
    });

    async function deployment(): Promise<KubeObject & { metadata: { generation?: number } }> {
      const r = await kubeRequest<KubeObject>(
        "GET",
        `/apis/apps/v1/namespaces/${ns.name}/deployments/${release}-setpoint`,
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body as KubeObject & { metadata: { generation?: number } };
    }

    it("installs the chart", async () => {
      await helm.run(["install", release, CHART_DIR, "--namespace", ns.name]);
      const env = controllerEnv(await deployment());
      assert.equal(env.find((e) => e.name === "SETPOINT_LOG_LEVEL")?.value, "info");
      const sa = await kubeRequest(
        "GET",
        `/api/v1/namespaces/${ns.name}/serviceaccounts/${release}-setpoint`,
      );
      assert.equal(sa.status, 200);
    });

    it("upgrades it with new values, as revision 2", async () => {
      const before = await deployment();
      await helm.run([
        "upgrade",
        release,
        CHART_DIR,
        "--namespace",
        ns.name,
        "--set",
        "run.logLevel=debug",
        "--set",
        "run.pollInterval=30s",
      ]);
      const after = await deployment();
      const env = controllerEnv(after);
      assert.equal(env.find((e) => e.name === "SETPOINT_LOG_LEVEL")?.value, "debug");
      assert.equal(env.find((e) => e.name === "SETPOINT_POLL_INTERVAL")?.value, "30s");
      assert.ok((after.metadata.generation ?? 0) > (before.metadata.generation ?? 0));
      const history = JSON.parse(
        (await helm.run(["history", release, "--namespace", ns.name, "-o", "json"])).stdout,
      ) as { revision: number; status: string }[];
      assert.deepEqual(
        history.map((h) => [h.revision, h.status]),
        [
          [1, "superseded"],
          [2, "deployed"],
        ],
      );
    });

    it("uninstalls it and keeps the CRDs, so no custom resource (and no cloud resource) goes with it", async () => {
      await helm.run(["uninstall", release, "--namespace", ns.name, "--wait"]);
      const gone = await kubeRequest(
        "GET",
        `/apis/apps/v1/namespaces/${ns.name}/deployments/${release}-setpoint`,
      );
      assert.equal(gone.status, 404);
      const role = await kubeRequest(
        "GET",
        `/apis/rbac.authorization.k8s.io/v1/clusterroles/${release}-setpoint`,
      );
      assert.equal(role.status, 404);
      const crd = await kubeRequest(
        "GET",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sqlinstances.aws.setpoint.dev",
      );
      assert.equal(crd.status, 200);
    });
  });

  it("the kustomize base is the chart's current rendering (run `npm run deploy:generate`)", async () => {
    const expected = await kustomizeFiles(pathOf(helmTool));
    for (const [path, text] of expected) {
      assert.equal(await readFile(path, "utf8"), text, relative(ROOT, path));
    }
    assert.deepEqual(
      await filesUnder(KUSTOMIZE_BASE_DIR),
      [...expected.keys()].map((p) => relative(ROOT, p)).sort(),
    );
  });
});

interface PodSpecWithSecurity {
  securityContext?: unknown;
  containers: { securityContext?: unknown }[];
}

describe("the kustomize base", { skip: skipUnless(kustomizeTool), timeout: 120_000 }, () => {
  const ns = useNamespace("kustomize");
  let overlay: string;
  before(async () => {
    overlay = await mkdtemp(join(tmpdir(), "setpoint-overlay-"));
  });
  after(async () => {
    if (overlay) await rm(overlay, { recursive: true, force: true });
  });

  it("builds with an overlay that moves it to another namespace, and the API server accepts it (dry run)", async () => {
    await writeFile(
      join(overlay, "kustomization.yaml"),
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        `namespace: ${ns.name}`,
        "resources:",
        `  - ${relative(overlay, KUSTOMIZE_BASE_DIR)}`,
        "",
      ].join("\n"),
    );
    const { stdout } = await run(pathOf(kustomizeTool), ["build", overlay], { maxBuffer: 64 * 1024 * 1024 });
    const objects = parseManifests(stdout);
    const binding = findObject(objects, "ClusterRoleBinding", "setpoint");
    assert.deepEqual(
      (binding.subjects as { namespace: string }[]).map((s) => s.namespace),
      [ns.name],
      "the bindings follow the overlay's namespace",
    );
    assert.equal(findObject(objects, "Deployment").metadata.namespace, ns.name);
    await dryRunAll(objects, ns.name);
  });
});

// The chart directory must stay loadable by helm from the repository: this guards against a template
// reading a file outside it (Helm refuses those).
it("the chart reads only files inside its own directory", async () => {
  const templates = await filesUnder(join(CHART_DIR, "templates"));
  for (const t of templates) {
    const text = await readFile(join(ROOT, t), "utf8");
    for (const m of text.matchAll(/\.Files\.Get "([^"]+)"/g)) {
      assert.ok(!(m[1] ?? "").startsWith(".."), `${t} reads ${m[1]}`);
      await readFile(join(CHART_DIR, m[1] ?? ""), "utf8");
    }
  }
});
