// Installs (server-side applies) every setpoint CRD and waits for them.
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { KindDefinition } from "../controller/api/index.ts";
import { crdFor } from "../crds/generate.ts";
import { ALL } from "../providers/index.ts";
import { applyObjects, waitForCrdsEstablished } from "./apply.ts";

export async function installCrds(
  kc: KubeConfig,
  kinds: readonly KindDefinition[] = ALL.crds,
): Promise<string[]> {
  const crds = kinds.map((k) => crdFor(k) as unknown as KubernetesObject);
  await applyObjects(kc, crds);
  const names = crds.map((c) => c.metadata?.name ?? "");
  await waitForCrdsEstablished(kc.makeApiClient(ApiextensionsV1Api), names);
  return names;
}
