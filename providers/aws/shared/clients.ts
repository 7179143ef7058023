// One SDK v3 client per connection (account/region/endpoint) and service,
// shared by every resource that uses it: clients hold sockets and resolved
// config, so one per resource would not scale to thousands of resources.
import { createHash } from "node:crypto";
import type { CloudCallBudget } from "../../../controller/provider.ts";
import type { AwsConnection, StaticCredentials } from "./connection.ts";

/** Few SDK-level retries: the engine's queue backs off and retries on top of them. */
export const SDK_MAX_ATTEMPTS = 3;

/**
 * How long one HTTP attempt may wait for AWS's answer, and how long its
 * socket may sit idle, before the SDK gives it up as a TimeoutError and
 * retries it. Without it the SDK waits forever (the ELBv2 client sets no
 * timeout at all, the RDS client only a 15-minute idle one), so one hung
 * connection would stall a reconcile, and its worker, for good. AWS answers
 * the calls setpoint makes in well under a second; 30s leaves room for a slow
 * region or a loaded emulator, and bounds a hung call at SDK_MAX_ATTEMPTS ×
 * 30s before the engine sees the error.
 */
export const SDK_REQUEST_TIMEOUT_MS = 30_000;

/** How long opening a connection may take. */
export const SDK_CONNECTION_TIMEOUT_MS = 5_000;

/** The subset of the SDK's NodeHttpHandler options setpoint sets. */
export interface AwsRequestHandlerOptions {
  requestTimeout: number;
  /** Without it the SDK only logs a warning when requestTimeout passes. */
  throwOnRequestTimeout: true;
  socketTimeout: number;
  connectionTimeout: number;
}

/** The config sharedClient hands to a factory; it is valid input to any SDK v3 client constructor. */
export interface AwsClientConfig {
  region: string;
  endpoint?: string;
  credentials?: StaticCredentials;
  maxAttempts: number;
  retryMode: "standard";
  requestHandler: AwsRequestHandlerOptions;
}

// Structural, so any SDK v3 client fits without depending on @smithy/types.
// biome-ignore lint/suspicious/noExplicitAny: middleware signatures differ per client.
type AnyMiddleware = any;
export interface SdkClient {
  middlewareStack: {
    addRelativeTo(mw: AnyMiddleware, options: AnyMiddleware): void;
    add(mw: AnyMiddleware, options: AnyMiddleware): void;
    identify(): string[];
  };
  destroy(): void;
}

interface Entry {
  client: SdkClient;
  /** A hash of the credentials, so a rotated key pair gets a new client. */
  fingerprint: string;
  /** Read at call time: the engine may hand a budget only after the client exists. */
  budget: CloudCallBudget | undefined;
}

const clients = new Map<string, Entry>();

const BUDGET_MIDDLEWARE = "setpointCloudBudget";

function fingerprint(c: StaticCredentials | undefined): string {
  if (!c) return "default-chain";
  return createHash("sha256")
    .update(`${c.accessKeyId}\0${c.secretAccessKey}\0${c.sessionToken ?? ""}`)
    .digest("hex")
    .slice(0, 16);
}

/**
 * Returns the cached client for (conn.key, service), creating it with
 * `factory` on first use. `service` is the budget's service name, e.g. "rds".
 * Every HTTP attempt, retries included, first awaits
 * budget.take({account, region, service, operation}).
 */
export function sharedClient<C extends SdkClient>(
  conn: AwsConnection,
  service: string,
  factory: (config: AwsClientConfig) => C,
): C {
  const cacheKey = `${conn.key}|${service}`;
  const fp = fingerprint(conn.credentials);
  const existing = clients.get(cacheKey);
  if (existing && existing.fingerprint === fp) {
    if (conn.budget) existing.budget = conn.budget;
    return existing.client as C;
  }
  // Rotated credentials: drop the old client so the cache stays one entry per key.
  if (existing) existing.client.destroy();

  const config: AwsClientConfig = {
    region: conn.region,
    maxAttempts: SDK_MAX_ATTEMPTS,
    retryMode: "standard",
    requestHandler: {
      requestTimeout: SDK_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: SDK_REQUEST_TIMEOUT_MS,
      connectionTimeout: SDK_CONNECTION_TIMEOUT_MS,
    },
  };
  if (conn.endpoint !== undefined) config.endpoint = conn.endpoint;
  if (conn.credentials) config.credentials = { ...conn.credentials };
  const client = factory(config);
  const entry: Entry = { client, fingerprint: fp, budget: conn.budget };

  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      if (entry.budget) {
        await entry.budget.take({
          account: conn.account,
          region: conn.region,
          service,
          operation: (context.commandName ?? "Unknown").replace(/Command$/, ""),
        });
      }
      return next(args);
    };
  // Inside the retry loop so every attempt counts, and before signing so a
  // long wait does not age the signature.
  if (client.middlewareStack.identify().some((m) => m.startsWith("httpSigningMiddleware"))) {
    client.middlewareStack.addRelativeTo(middleware, {
      relation: "before",
      toMiddleware: "httpSigningMiddleware",
      name: BUDGET_MIDDLEWARE,
    });
  } else {
    client.middlewareStack.add(middleware, { step: "finalizeRequest", name: BUDGET_MIDDLEWARE });
  }
  clients.set(cacheKey, entry);
  return client;
}

/** Destroys every cached client (shutdown, tests). */
export function destroySharedClients(): void {
  for (const e of clients.values()) e.client.destroy();
  clients.clear();
}

/** Number of cached clients; for metrics and tests. */
export function sharedClientCount(): number {
  return clients.size;
}
