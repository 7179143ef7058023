// Throwaway CustomResourceDefinitions for the Kubernetes glue's end-to-end tests. The glue is generic
// (any group, version and plural), so its tests use a CRD of their own with a unique group rather
// than setpoint's real CRDs: they do not wait for or depend on the real schemas, and parallel or
// repeated runs against one apiserver cannot collide. Test support only.
import { ApiextensionsV1Api, type KubeConfig } from "@kubernetes/client-node";
import { collectionPath, kubeClientOf } from "../client.ts";

export interface TestCrd {
  group: string;
  version: string;
  kind: string;
  plural: string;
  apiVersion: string;
  delete(): Promise<void>;
}

/** Creates a CRD accepting any spec and status (with the status subresource) and waits until it is served. */
export async function createTestCrd(
  kc: KubeConfig,
  opts: { group: string; kind: string; plural: string; scope?: "Namespaced" | "Cluster" },
): Promise<TestCrd> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = `${opts.plural}.${opts.group}`;
  const version = "v1";
  await api.createCustomResourceDefinition({
    body: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name },
      spec: {
        group: opts.group,
        scope: opts.scope ?? "Namespaced",
        names: { plural: opts.plural, singular: opts.kind.toLowerCase(), kind: opts.kind },
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: "object",
                properties: {
                  spec: { type: "object", x_kubernetes_preserve_unknown_fields: true },
                  status: { type: "object", x_kubernetes_preserve_unknown_fields: true },
                },
              },
            },
          },
        ],
      },
    },
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after 30s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Established can precede the discovery and storage setup by a moment: wait until a list answers.
  const raw = kubeClientOf(kc);
  for (;;) {
    try {
      await raw.getJson(collectionPath({ group: opts.group, version, plural: opts.plural }), { limit: 1 });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    group: opts.group,
    version,
    kind: opts.kind,
    plural: opts.plural,
    apiVersion: `${opts.group}/${version}`,
    delete: async () => {
      await api.deleteCustomResourceDefinition({ name }).catch(() => {});
    },
  };
}
