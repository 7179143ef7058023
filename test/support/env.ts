// Helpers for end-to-end tests. scripts/test.ts starts one environment (a real kube-apiserver + etcd and
// a seeded moto) for the whole run and hands it to the test processes through these variables:
//
//   SETPOINT_TEST_KUBECONFIG    path to a kubeconfig for the test API server (admin token, CA-verified TLS)
//   SETPOINT_TEST_AWS_ENDPOINT  AWS endpoint of the emulator, e.g. http://localhost:41585 (give it to SDK
//                               clients and to ProviderConfig spec.endpoint)
//   SETPOINT_TEST_AWS_REGION    region the emulator was seeded in (us-east-1)
//   SETPOINT_TEST_MOTO_URL      base URL of moto's control API (<url>/moto-api/reset); set only for moto
//
// The seeded network (fixed IDs: VPC, two subnets, security group, DB subnet group "setpoint-default")
// is exported from localstack/seed.ts and re-exported here.
//
// Test files run one at a time (--test-concurrency=1) against the shared environment, so a file may
// reset moto, but must not assume an empty API server: use a namespace of its own.

import { after, before } from "node:test";
import { CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import { resetAndSeed } from "../../localstack/moto.ts";
import { EMULATOR_CREDENTIALS, SEED_REGION, type SeedResult } from "../../localstack/seed.ts";

export {
  SEED_AZS,
  SEED_DB_SUBNET_GROUP,
  SEED_REGION,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_A_ID,
  SEED_SUBNET_B_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
} from "../../localstack/seed.ts";

export const ENV_KUBECONFIG = "SETPOINT_TEST_KUBECONFIG";
export const ENV_AWS_ENDPOINT = "SETPOINT_TEST_AWS_ENDPOINT";
export const ENV_AWS_REGION = "SETPOINT_TEST_AWS_REGION";
export const ENV_MOTO_URL = "SETPOINT_TEST_MOTO_URL";

function required(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(
      `${name} is not set: end-to-end tests need the environment that scripts/test.ts starts. ` +
        "Run them through npm test (e.g. `npm test -- test/e2e/smoke.test.ts` or `npm run test:e2e`).",
    );
  }
  return v;
}

/** A KubeConfig for the test API server. */
export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(required(ENV_KUBECONFIG));
  return kc;
}

export function kubeconfigPath(): string {
  return required(ENV_KUBECONFIG);
}

export function awsEndpoint(): string {
  return required(ENV_AWS_ENDPOINT);
}

export function awsRegion(): string {
  return process.env[ENV_AWS_REGION] || SEED_REGION;
}

/** AWS SDK v3 client config for the emulator: `new RDSClient(awsClientConfig())`. */
export function awsClientConfig() {
  return {
    region: awsRegion(),
    endpoint: awsEndpoint(),
    credentials: { ...EMULATOR_CREDENTIALS },
    maxAttempts: 2,
  };
}

/** Drops every resource in moto (all services) and seeds the fixed network again. */
export async function resetMoto(): Promise<SeedResult> {
  return resetAndSeed(required(ENV_MOTO_URL));
}

let counter = 0;

/** A DNS-1123 name unique to this process and call: `${prefix}-<pid36><n><random>`. */
export function uniqueName(prefix: string): string {
  counter++;
  const suffix = `${process.pid.toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return `${prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 40)}-${suffix}`;
}

export interface TestNamespace {
  name: string;
  delete(): Promise<void>;
}

/**
 * Creates a uniquely named namespace. delete() only marks it Terminating here: no
 * kube-controller-manager runs, so nothing empties it. Delete your own objects when the cloud side
 * must be cleaned up.
 */
export async function createNamespace(prefix = "e2e"): Promise<TestNamespace> {
  const core = testKubeConfig().makeApiClient(CoreV1Api);
  const name = uniqueName(prefix);
  await core.createNamespace({
    body: { metadata: { name, labels: { "setpoint.dev/e2e": "true" } } },
  });
  return {
    name,
    async delete() {
      await core.deleteNamespace({ name }).catch(() => {});
    },
  };
}

/**
 * Registers before/after hooks (in the current describe, or the file) that create a namespace and
 * delete it afterwards. Read `.name` inside tests, not at definition time.
 */
export function useNamespace(prefix = "e2e"): { readonly name: string } {
  let ns: TestNamespace | undefined;
  before(async () => {
    ns = await createNamespace(prefix);
  });
  after(async () => {
    await ns?.delete();
  });
  return {
    get name(): string {
      if (!ns) throw new Error("useNamespace(): the namespace exists only inside tests and hooks");
      return ns.name;
    },
  };
}

export interface WaitOptions<T> {
  /** What is being waited for, as a phrase: "the CRD to be Established". */
  what: string;
  /** Default 30s. */
  timeoutMs?: number;
  /** Default 200ms. */
  intervalMs?: number;
  /** When the value counts as done. Default: truthy. */
  until?: (value: T) => boolean;
}

function show(value: unknown): string {
  if (value instanceof Error) return `error: ${value.message}`;
  let s: string;
  try {
    s = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  return s.length > 2000 ? `${s.slice(0, 2000)}... (${s.length} chars)` : s;
}

/**
 * Polls fn until its value satisfies `until` (default: truthy) and returns that value. A throw from fn
 * counts as "not yet". On timeout, fails with what it waited for and the last value (or error) seen.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions<T>): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 200;
  const until = opts.until ?? ((v: T) => Boolean(v));
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "(no value yet)";
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const v = await fn();
      last = v;
      if (until(v)) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() + intervalMs > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs}ms (${attempts} attempts) waiting for ${opts.what}. Last seen: ${show(last)}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface OpenWatch {
  /** Closes the watch. */
  stop(): void;
  /** The error the stream ended with after it was open, if it has ended. */
  readonly endedWith: unknown;
}

/**
 * Opens a real watch (client-node Watch) on path and resolves once the API server answered 200, so
 * events from then on are delivered. Retries a refused start: a freshly Established CRD can answer 404
 * for a moment, and 429 "storage is (re)initializing" until its watch cache is ready.
 */
export async function openWatch(
  kc: KubeConfig,
  path: string,
  onEvent: (phase: string, obj: unknown) => void,
  opts: { what?: string; timeoutMs?: number; query?: Record<string, string | number | boolean> } = {},
): Promise<OpenWatch> {
  const watch = new Watch(kc);
  let endedWith: unknown;
  const controller = await waitFor(
    async () => {
      let refused: unknown;
      let settled = false;
      const ctl = await watch.watch(path, opts.query ?? {}, onEvent, (err) => {
        if (!settled) refused = err ?? new Error("closed before it opened");
        else endedWith = err ?? "closed by the server";
      });
      settled = true;
      if (refused !== undefined) throw refused;
      return ctl;
    },
    { what: opts.what ?? `a watch on ${path} to open`, timeoutMs: opts.timeoutMs ?? 30_000 },
  );
  return {
    stop: () => controller.abort(),
    get endedWith() {
      return endedWith;
    },
  };
}
