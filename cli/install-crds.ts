// Installs (server-side applies) every setpoint CRD and waits for them.
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { KindDefinition } from "../apis/aws/v1alpha1/common.ts";
import { ALL_KINDS } from "../apis/aws/v1alpha1/index.ts";
import { crdFor } from "../crds/generate.ts";
import { applyObjects, waitForCrdsEstablished } from "./apply.ts";

export async function installCrds(kc: KubeConfig, kinds: KindDefinition[] = ALL_KINDS): Promise<string[]> {
  const crds = kinds.map((k) => crdFor(k) as unknown as KubernetesObject);
  await applyObjects(kc, crds);
  const names = crds.map((c) => c.metadata?.name ?? "");
  await waitForCrdsEstablished(kc.makeApiClient(ApiextensionsV1Api), names);
  return names;
}
