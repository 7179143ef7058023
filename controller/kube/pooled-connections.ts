// @kubernetes/client-node 2.0.1 builds a new undici Agent for every API
// request (KubeConfig.applySecurityAuthentication → createDispatcher), so
// every call opens a fresh TLS connection: hundreds of sockets at once under
// load, most of the controller's memory, and more API-server CPU than the
// controller's own. This makes a KubeConfig reuse one dispatcher per set of
// connection options (server, CA, client certificate).
import { createHash } from "node:crypto";
import type { KubeConfig } from "@kubernetes/client-node";

type CreateDispatcher = (cluster: unknown, agentOptions: unknown) => unknown;

const POOLED = Symbol.for("setpoint.pooledConnections");

/** Makes `kc` reuse its connections. Idempotent; returns `kc`. */
export function withPooledConnections(kc: KubeConfig): KubeConfig {
  const target = kc as unknown as { createDispatcher: CreateDispatcher; [POOLED]?: true };
  if (target[POOLED] || typeof target.createDispatcher !== "function") return kc;
  const create = target.createDispatcher.bind(kc);
  const cache = new Map<string, unknown>();
  target.createDispatcher = (cluster, agentOptions) => {
    // Keyed by the options themselves, so a rotated client certificate gets a new pool.
    const options = kc.createDispatcherOptions(cluster as never, agentOptions as never);
    const key = createHash("sha256").update(JSON.stringify(options)).digest("hex");
    if (!cache.has(key)) cache.set(key, create(cluster, agentOptions));
    return cache.get(key);
  };
  target[POOLED] = true;
  return kc;
}
