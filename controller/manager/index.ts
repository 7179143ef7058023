// The manager: the engine's composition root (manager.ts) and its parts.
export { DEFAULTS, rateLimitFor } from "./defaults.ts";
export { decodeKey, encodeKey, keyOf, type ResourceKey } from "./keys.ts";
export { kubeClients } from "./kube-clients.ts";
export type { LeaderElectionOptions } from "./leadership.ts";
export { Manager, type ManagerOptions } from "./manager.ts";
export type { ManagerKube } from "./ports.ts";
