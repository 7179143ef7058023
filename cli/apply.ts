// `kubectl apply` for the objects the CLI installs itself (CRDs, the demo's
// examples): server-side apply through client-node's generic object API.
import { readFile } from "node:fs/promises";
import {
  type ApiextensionsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
// The generated models' serializer: client-node serializes typed kinds by
// its own field names, so a CRD passed as plain JSON would lose every
// x-kubernetes-* key (list types, CEL rules) on the way out.
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import { parseAllDocuments } from "yaml";

export const FIELD_MANAGER = "setpoint";

export async function readManifests(path: string): Promise<KubernetesObject[]> {
  const docs = parseAllDocuments(await readFile(path, "utf8"));
  return docs.map((d) => d.toJS() as KubernetesObject).filter((o) => o && typeof o === "object" && o.kind);
}

export async function applyObjects(kc: KubeConfig, objects: KubernetesObject[]): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    const typed =
      obj.kind === "CustomResourceDefinition"
        ? (ObjectSerializer.deserialize(obj, "V1CustomResourceDefinition", "") as KubernetesObject)
        : obj;
    applied.push(
      await api.patch(typed, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    );
  }
  return applied;
}

/** Waits until every named CRD reports Established, so its kind can be used at once. */
export async function waitForCrdsEstablished(
  ext: ApiextensionsV1Api,
  names: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await ext.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
