import { KubeConfig } from "@kubernetes/client-node";
import { withPooledConnections } from "../controller/kube/pooled-connections.ts";

/** A KubeConfig from a file, or from KUBECONFIG / in-cluster / ~/.kube/config. */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return withPooledConnections(kc);
}
