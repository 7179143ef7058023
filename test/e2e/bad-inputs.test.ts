// The catalogue of bad inputs (test/support/bad-inputs/), on the real
// kube-apiserver: every entry gets a clear answer.
//
// - Rejected entries are sent as a user's client would, and the API server's
//   refusal must name the field and say what is wrong. Unknown fields are
//   pruned by the structural schema, which no CRD rule can see: they are
//   refused under fieldValidation=Strict (kubectl's default since 1.27), and
//   under the API server's default (Warn) the client gets a Warning header
//   naming the field, which this test asserts too.
// - Answered entries are accepted and then reconciled by the shipped
//   controller (bin/setpoint.mjs run, a process), each through its own fault
//   proxy in front of moto, so its cloud calls are counted per resource. Each
//   must reach its condition and Event, spend at most its few calls, and none
//   after its answer, while the controller stays healthy and still brings a
//   good resource to Ready afterwards.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RDSClient } from "@aws-sdk/client-rds";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { DBSubnetGroupKind } from "../../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { LoadBalancerKind } from "../../apis/aws/v1alpha1/loadbalancer.ts";
import { SecurityGroupKind } from "../../apis/aws/v1alpha1/securitygroup.ts";
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import type { Managed } from "../../controller/api/index.ts";
import type { KindDefinition } from "../../controller/api/kind.ts";
import { EMULATOR_CREDENTIALS } from "../../localstack/seed.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { AwsFaultProxy } from "../support/aws-fault-proxy.ts";
import {
  type AnswerContext,
  type AnsweredEntry,
  CATALOGUE,
  census,
  type ManagedCatalogueKind,
  type RejectedEntry,
} from "../support/bad-inputs/index.ts";
import { SQL_BASE } from "../support/bad-inputs/sqlinstance.ts";
import { condition, Objects } from "../support/engine.ts";
import {
  awsClientConfig,
  awsEndpoint,
  awsRegion,
  testKubeConfig,
  useNamespace,
  waitFor,
} from "../support/env.ts";
import { type KubeResponse, kubeRequest } from "../support/kube-http.ts";
import { ShippedController } from "../support/shipped-controller.ts";

const API = `/apis/${GROUP}/${VERSION}`;
const KINDS: Record<ManagedCatalogueKind, KindDefinition> = {
  SqlInstance: SqlInstanceKind,
  LoadBalancer: LoadBalancerKind,
  SecurityGroup: SecurityGroupKind,
  DBSubnetGroup: DBSubnetGroupKind,
};
/** How long the controller is watched after the last answer, for calls that should not come. */
const WINDOW_MS = 20_000;

const rejectedEntries = CATALOGUE.flatMap((e) => (e.outcome === "rejected" ? [e] : []));
const answeredEntries = CATALOGUE.flatMap((e) => (e.outcome === "answered" ? [e] : []));

interface Cause {
  field?: string;
  message?: string;
}

function matches(text: string, expected: string | RegExp): boolean {
  return typeof expected === "string" ? text.includes(expected) : expected.test(text);
}

/** The refusal names `field` and says `message`. */
function assertRefusal(r: KubeResponse, e: RejectedEntry): void {
  const body = r.body as { message?: string; details?: { causes?: Cause[] } };
  if (e.strict) {
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.ok(
      (body.message ?? "").includes(`unknown field "${e.expect.field}"`),
      `the refusal does not name ${e.expect.field}: ${body.message}`,
    );
    return;
  }
  assert.equal(r.status, 422, `expected a 422 refusal, got ${r.status}: ${JSON.stringify(body)}`);
  const causes = body.details?.causes ?? [];
  assert.ok(
    causes.some((c) => c.field === e.expect.field && matches(c.message ?? "", e.expect.message)),
    `no cause on ${e.expect.field} saying ${e.expect.message}; the causes were:\n${causes
      .map((c) => `  ${c.field}: ${c.message}`)
      .join("\n")}`,
  );
}

describe("the catalogue of bad inputs", { timeout: 15 * 60_000 }, () => {
  const ns = useNamespace("bad-inputs");
  const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

  before(async () => {
    await installAwsProviderConfig(); // the CRDs
  });

  it("reports its size: entries by kind and outcome, and by category", () => {
    const c = census();
    console.log(`[bad-inputs] ${c.total} entries: ${JSON.stringify(c.byKind)}`);
    console.log(`[bad-inputs] by category: ${JSON.stringify(c.byCategory)}`);
    assert.ok(c.total >= 100, `only ${c.total} entries`);
  });

  describe("rejected at admission, with a message that names the field", () => {
    let n = 0;
    const path = (e: RejectedEntry) =>
      e.kind === "ProviderConfig"
        ? `${API}/providerconfigs`
        : `${API}/namespaces/${ns.name}/${KINDS[e.kind].plural}`;
    const body = (e: RejectedEntry, name: string) => ({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: e.kind,
      metadata: {
        name,
        ...(e.kind === "ProviderConfig" ? {} : { namespace: ns.name }),
        // Paused, so that nothing acts on an object the API server wrongly admits.
        ...(e.kind === "ProviderConfig"
          ? {}
          : { annotations: { "setpoint.dev/paused": "true", ...e.annotations } }),
      },
      spec: e.spec,
    });

    for (const e of rejectedEntries) {
      it(`rejects ${e.name}`, async () => {
        const name = e.metadataName ?? `bad-${tag}-${++n}`;
        const created: string[] = [];
        try {
          if (e.patch) {
            const made = await kubeRequest("POST", path(e), body(e, name));
            assert.equal(made.status, 201, `the valid object was refused: ${JSON.stringify(made.body)}`);
            created.push(name);
            assertRefusal(
              await kubeRequest("PATCH", `${path(e)}/${name}`, e.patch, "application/merge-patch+json"),
              e,
            );
            return;
          }
          const r = await kubeRequest(
            "POST",
            `${path(e)}${e.strict ? "?fieldValidation=Strict" : ""}`,
            body(e, name),
          );
          if (r.status === 201) created.push(name);
          assertRefusal(r, e);
          if (e.strict) {
            // The API server's default: admitted, the field pruned, and a Warning naming it.
            const warned = await kubeRequest("POST", path(e), body(e, name));
            assert.equal(warned.status, 201, JSON.stringify(warned.body));
            created.push(name);
            assert.ok(
              warned.warnings.some((w) => w.includes(`unknown field \\"${e.expect.field}\\"`)),
              `no Warning names ${e.expect.field}: ${JSON.stringify(warned.warnings)}`,
            );
            const stored = await kubeRequest<{ spec: unknown }>("GET", `${path(e)}/${name}`);
            const leaf = e.expect.field.split(".").pop() ?? "";
            assert.ok(
              !JSON.stringify(stored.body.spec).includes(`"${leaf}"`),
              "the unknown field was stored",
            );
          }
        } finally {
          for (const c of created) await kubeRequest("DELETE", `${path(e)}/${c}`);
        }
      });
    }
  });

  describe("accepted, then answered by the running controller, without a loop of cloud calls", () => {
    const kc = testKubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const proxies: AwsFaultProxy[] = [];
    const providerConfigs: string[] = [];
    const runs: {
      e: AnsweredEntry;
      c: AnswerContext;
      proxy: AwsFaultProxy;
      kind: ManagedCatalogueKind;
      callsAtAnswer?: number;
    }[] = [];
    let controller: ShippedController;
    const health: number[] = [];
    /** Every managed object made here, to let go of at the end. */
    const made: { kind: ManagedCatalogueKind; name: string }[] = [];

    const objects = (kind: ManagedCatalogueKind) => new Objects(KINDS[kind], ns.name);

    async function providerConfig(name: string, spec: Record<string, unknown>) {
      await custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "providerconfigs",
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: "ProviderConfig", metadata: { name }, spec },
      });
      providerConfigs.push(name);
    }

    before(async () => {
      const credentials = "emulator-credentials";
      await core.createNamespacedSecret({
        namespace: ns.name,
        body: {
          metadata: { name: credentials },
          stringData: {
            aws_access_key_id: EMULATOR_CREDENTIALS.accessKeyId,
            aws_secret_access_key: EMULATOR_CREDENTIALS.secretAccessKey,
          },
        },
      });
      const rds = new RDSClient(awsClientConfig());
      const elb = new ElasticLoadBalancingV2Client(awsClientConfig());
      const ec2 = new EC2Client(awsClientConfig());
      const goodConfig = (endpoint: string) => ({
        region: awsRegion(),
        endpoint,
        credentials: { source: "Secret", secretRef: { namespace: ns.name, name: credentials } },
      });
      controller = await ShippedController.start({
        SETPOINT_NAMESPACE: ns.name,
        SETPOINT_POLL_INTERVAL: "2s",
        SETPOINT_CONVERGING_POLL_INTERVAL: "1s",
        SETPOINT_MIN_POLL_INTERVAL: "500ms",
        // Every decision is logged, so a failure shows what the controller did with the resource.
        SETPOINT_LOG_LEVEL: "debug",
      });
      let i = 0;
      for (const e of answeredEntries) {
        i++;
        const proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
        proxies.push(proxy);
        const c: AnswerContext = {
          namespace: ns.name,
          name: `a${i}-${tag}`,
          providerConfig: `catalogue-${tag}-${i}`,
          endpoint: proxy.url,
          region: awsRegion(),
          rds,
          elb,
          ec2,
        };
        for (const s of e.secrets?.(c) ?? []) {
          await core.createNamespacedSecret({
            namespace: s.namespace,
            body: { metadata: { name: s.name }, stringData: s.data },
          });
        }
        await e.inCloud?.(c);
        await providerConfig(c.providerConfig, e.providerConfig?.(c) ?? goodConfig(c.endpoint));
        const r = e.resource(c);
        runs.push({ e, c, proxy, kind: r.kind });
      }
      // Every bad resource at once, as a user's `kubectl apply -f` of a directory would.
      await Promise.all(
        runs.map(({ c, e }) => {
          const r = e.resource(c);
          made.push({ kind: r.kind, name: c.name });
          return objects(r.kind).create(c.name, r.spec, r.annotations);
        }),
      );
      const healthProbe = setInterval(
        () => void controller.get("/healthz").then((s) => health.push(s)),
        1000,
      );
      try {
        await Promise.all(
          runs.map(async (run) => {
            await waitFor(() => objects(run.kind).get(run.c.name), {
              what: `${run.e.name} to be answered with ${run.e.expect.reason} (${run.e.expect.message})`,
              timeoutMs: 90_000,
              until: (mr) => {
                const synced = condition(mr, "Synced");
                return (
                  synced?.reason === run.e.expect.reason && run.e.expect.message.test(synced.message ?? "")
                );
              },
            });
            run.callsAtAnswer = run.proxy.stats().calls;
          }),
        );
        await new Promise((r) => setTimeout(r, WINDOW_MS));
      } finally {
        clearInterval(healthProbe);
      }
      const table = runs.map((r) => ({
        entry: r.e.name,
        calls: r.proxy.stats().calls,
        afterAnswer: r.proxy.stats().calls - (r.callsAtAnswer ?? 0),
        byAction: r.proxy.stats().callsByAction,
      }));
      console.log(
        `[bad-inputs] cloud calls per bad resource over the answer and a ${WINDOW_MS / 1000}s window:`,
      );
      for (const row of table) {
        console.log(
          `[bad-inputs]   ${String(row.calls).padStart(2)} (${row.afterAnswer} after the answer) ${row.entry} ${JSON.stringify(row.byAction)}`,
        );
      }
    });

    after(async () => {
      // The bad resources hold finalizers a deletion could never release (no
      // ProviderConfig, no credentials): they are let go by hand.
      for (const { kind, name } of made) {
        const o = objects(kind);
        await o.patch(name, { metadata: { finalizers: null } }).catch(() => {});
        await o.delete(name).catch(() => {});
      }
      await controller?.stop();
      for (const p of proxies) await p.close();
      for (const name of providerConfigs) {
        await custom
          .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: "providerconfigs", name })
          .catch(() => {});
      }
    });

    for (const e of answeredEntries) {
      it(`answers ${e.name} with ${e.expect.reason}, an Event, and at most ${e.expect.maxCloudCalls} cloud calls`, async () => {
        const run = runs.find((r) => r.e === e);
        assert.ok(run, "the entry was not set up");
        const o = objects(run.kind);
        const mr = (await o.get(run.c.name)) as Managed;
        const synced = condition(mr, "Synced");
        assert.equal(synced?.status, "False");
        assert.equal(synced?.reason, e.expect.reason);
        assert.match(synced?.message ?? "", e.expect.message);
        const events = await o.events(run.c.name);
        const type = e.expect.eventType ?? "Warning";
        assert.ok(
          events.some(
            (ev) => ev.type === type && ev.reason === e.expect.event && e.expect.message.test(ev.message),
          ),
          `no ${type} Event ${e.expect.event}: ${JSON.stringify(events)}`,
        );
        const { calls, callsByAction } = run.proxy.stats();
        const story = () =>
          controller.lines
            .filter((l) => l.resource === `${ns.name}/${run.c.name}`)
            .map((l) => `  ${l.time ?? ""} ${l.msg} ${l.decision ?? l.step ?? ""} ${l.err ?? ""}`)
            .join("\n");
        assert.ok(
          calls <= e.expect.maxCloudCalls,
          `${calls} cloud calls, more than ${e.expect.maxCloudCalls}: ${JSON.stringify(callsByAction)}\n${story()}`,
        );
        assert.equal(
          calls - (run.callsAtAnswer ?? 0),
          0,
          `cloud calls after the answer: ${JSON.stringify(callsByAction)}\n${story()}`,
        );
        if (e.expect.reason === "ReconcileError") {
          // Retried with backoff all along, and still not one cloud call.
          const attempts = controller.lines.filter(
            (l) => l.msg === "reconcile failed" && l.resource === `${ns.name}/${run.c.name}`,
          ).length;
          assert.ok(attempts >= 3, `retried only ${attempts} times over the window`);
        }
      });
    }

    it("stays healthy throughout, and still brings a good resource to Ready afterwards", async () => {
      assert.ok(controller.running, `the controller exited:\n${controller.tail()}`);
      assert.ok(health.length >= WINDOW_MS / 1000 / 2, `only ${health.length} health probes`);
      assert.deepEqual([...new Set(health)], [200], "/healthz did not always answer 200");
      const proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
      proxies.push(proxy);
      const name = `good-${tag}`;
      await providerConfig(name, {
        region: awsRegion(),
        endpoint: proxy.url,
        credentials: { source: "Secret", secretRef: { namespace: ns.name, name: "emulator-credentials" } },
      });
      const db = objects("SqlInstance");
      await db.create("good-db", { ...SQL_BASE, providerConfigRef: { name } });
      await db.waitForCondition("good-db", "Ready", "True", { timeoutMs: 60_000 });
      assert.ok(
        proxy.stats().callsByAction.CreateDBInstance === 1,
        JSON.stringify(proxy.stats().callsByAction),
      );
      made.push({ kind: "SqlInstance", name: "good-db" });
      assert.equal(await controller.get("/healthz"), 200);
      assert.equal(await controller.stop(), 0, "the controller did not shut down cleanly");
    });
  });
});
