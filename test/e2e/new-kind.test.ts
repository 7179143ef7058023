// What adding a resource kind takes, shown with a throwaway kind, Gizmo:
//   1. its schema (for a shipped kind: apis/<group>/<version>/<kind>.ts),
//   2. its provider (for a shipped kind: providers/<cloud>/<service>/),
//   3. one registerKind() line in its group's registry (providers/index.ts),
//   4. its example (examples/<kind>.yaml) and its tests.
// Nothing in controller/ changes: the CRD generator, the registry and the
// real engine against a real kube-apiserver serve it as they serve the
// shipped kinds. Everything Gizmo needs is in this file.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import {
  defineManagedKind,
  defineRegistry,
  type Managed,
  registerKind,
  serviceBudgets,
  Tags,
} from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import type { FieldDiff, Observation, Provider } from "../../controller/provider.ts";
import { crdFor } from "../../crds/generate.ts";
import { loadBalancerProvider } from "../../providers/aws/elbv2/index.ts";
import { condition, installKinds, Objects, startEngine } from "../support/engine.ts";
import { testKubeConfig, useNamespace, waitFor } from "../support/env.ts";

// 1. The schema.
const GizmoForProvider = z.object({
  sides: z.int().min(3).max(12).meta({ description: "How many sides the gizmo has." }),
});
const GizmoAtProvider = z.object({ id: z.string().optional().meta({ description: "The cloud's id." }) });
const GizmoKind = defineManagedKind({
  group: "test.setpoint.dev",
  version: "v1alpha1",
  kind: "Gizmo",
  plural: "gizmos",
  singular: "gizmo",
  description: "A throwaway kind: what a new kind needs, and no more.",
  forProvider: GizmoForProvider,
  atProvider: GizmoAtProvider,
});
type GizmoSpec = z.output<typeof GizmoForProvider>;
type GizmoStatus = z.output<typeof GizmoAtProvider>;

// 2. The provider: a mapping from the spec to a cloud (a map here) and back, deciding nothing.
const cloud = new Map<string, { sides: number; tags: Record<string, string> }>();
const nameOf = (mr: Managed) => mr.metadata.annotations?.["setpoint.dev/external-name"] ?? "";

function observation(mr: Managed<GizmoSpec, GizmoStatus>): Observation<GizmoStatus> {
  const found = cloud.get(nameOf(mr));
  if (!found) return { exists: false, drift: [], ready: { status: false, reason: "Unavailable" } };
  const drift: FieldDiff[] =
    found.sides === mr.spec.forProvider.sides
      ? []
      : [{ path: "forProvider.sides", desired: mr.spec.forProvider.sides, observed: found.sides }];
  return {
    exists: true,
    drift,
    atProvider: { id: nameOf(mr) },
    ready: { status: true, reason: "Available" },
    ownership: { owner: found.tags[Tags.owner], uid: found.tags[Tags.uid] },
  };
}

const gizmoProvider: Provider<GizmoSpec, GizmoStatus> = {
  services: { gizmo: { burst: 5, ratePerSecond: 1 } },
  deriveExternalName: (namespace, name) => `${namespace}-${name}`,
  async connect() {
    return {
      observe: async (mr) => observation(mr),
      async create(mr) {
        if (cloud.has(nameOf(mr))) return { alreadyExists: true };
        const tags = {
          [Tags.owner]: `${mr.metadata.namespace}/${mr.metadata.name}`,
          [Tags.uid]: mr.metadata.uid ?? "",
        };
        cloud.set(nameOf(mr), { sides: mr.spec.forProvider.sides, tags });
        return {};
      },
      async update(mr) {
        const found = cloud.get(nameOf(mr));
        if (found) found.sides = mr.spec.forProvider.sides;
        return {};
      },
      async delete(mr) {
        cloud.delete(nameOf(mr));
        return { gone: true };
      },
    };
  },
};

// 3. The registration line.
const registry = defineRegistry({ kinds: [registerKind(GizmoKind, gizmoProvider)] });

/** Never called: it only has to compile, or not. */
export function typeChecks(): void {
  // @ts-expect-error A provider written for another kind's fields does not register.
  registerKind(GizmoKind, loadBalancerProvider);
}

describe("a new kind, added without touching controller/", { timeout: 120_000 }, () => {
  const ns = useNamespace("new-kind");
  let manager: Manager;
  let gizmos: Objects;

  before(async () => {
    await installKinds(testKubeConfig(), registry.crds);
    manager = await startEngine(registry.kinds, { namespace: ns.name });
    gizmos = new Objects(GizmoKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
  });

  it("gets a CRD like a shipped kind's, with the managed columns", () => {
    const crd = crdFor(GizmoKind) as {
      metadata: { name: string };
      spec: { versions: { additionalPrinterColumns: { name: string }[] }[] };
    };
    assert.equal(crd.metadata.name, "gizmos.test.setpoint.dev");
    assert.deepEqual(
      crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name),
      ["READY", "SYNCED", "DRIFTED", "EXTERNAL-NAME", "AGE"],
    );
  });

  it("gets the cloud budget its provider declares", () => {
    assert.deepEqual(serviceBudgets(registry.kinds), { gizmo: { burst: 5, ratePerSecond: 1 } });
  });

  it("is created, has its drift corrected, and is deleted by the real engine", async () => {
    await gizmos.create("g1", { forProvider: { sides: 5 } });
    const mr = await gizmos.waitForCondition("g1", "Ready", "True");
    assert.equal(condition(mr, "Synced")?.reason, "ReconcileSuccess");
    const id = `${ns.name}-g1`;
    assert.equal(cloud.get(id)?.sides, 5);

    cloud.get(id)!.sides = 9;
    const corrected = await waitFor(() => gizmos.get("g1"), {
      what: "the drift in sides to be corrected",
      until: (m) => (m?.status?.drift?.corrections ?? 0) >= 1,
    });
    assert.equal(cloud.get(id)?.sides, 5);
    assert.deepEqual(corrected?.status?.drift?.history[0]?.fields, ["forProvider.sides"]);

    await gizmos.delete("g1");
    await gizmos.waitUntilGone("g1");
    assert.equal(cloud.has(id), false);
  });

  it("is refused at admission when its spec breaks its schema", async () => {
    await assert.rejects(gizmos.create("bad", { forProvider: { sides: 2 } }), (err: { body?: string }) =>
      /sides/.test(String(err.body ?? err)),
    );
  });
});
