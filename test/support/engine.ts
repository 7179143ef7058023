// Runs the real engine (Manager) in-process against the test kube-apiserver,
// for a given set of kinds, with fast polls so end-to-end tests finish in
// seconds. Also reads what the engine wrote: objects, conditions, events.
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { applyObjects, waitForCrdsEstablished } from "../../cli/apply.ts";
import {
  apiVersionOf,
  type KindDefinition,
  type KindRegistration,
  type Managed,
} from "../../controller/api/index.ts";
import { kubeClients, Manager, type ManagerOptions } from "../../controller/manager/index.ts";
import { createLogger } from "../../controller/ops/logger.ts";
import { crdFor } from "../../crds/generate.ts";
import { testKubeConfig, waitFor } from "./env.ts";

export const FAST_POLL = { steadyMs: 1500, convergingMs: 500, minMs: 200 };

export async function installKinds(kc: KubeConfig, kinds: readonly KindDefinition[]): Promise<void> {
  const crds = kinds.map((k) => crdFor(k) as unknown as KubernetesObject);
  await applyObjects(kc, crds);
  await waitForCrdsEstablished(
    kc.makeApiClient(ApiextensionsV1Api),
    crds.map((c) => c.metadata?.name ?? ""),
  );
}

export async function startEngine(
  kinds: readonly KindRegistration[],
  overrides: Partial<ManagerOptions> = {},
): Promise<Manager> {
  const manager = new Manager({
    kube: kubeClients(testKubeConfig()),
    kinds,
    log: createLogger({ level: process.env.SETPOINT_TEST_LOG_LEVEL ?? "error" }),
    concurrency: 8,
    rateLimit: { qps: 200, burst: 400 },
    poll: FAST_POLL,
    terminalRetryMs: 2000,
    sweep: { intervalMs: 200 },
    ...overrides,
  });
  await manager.start();
  return manager;
}

/** Typed access to one kind's custom objects in one namespace. */
export class Objects {
  readonly api: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly #def: KindDefinition;
  readonly #namespace: string;

  constructor(def: KindDefinition, namespace: string, kc: KubeConfig = testKubeConfig()) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.#def = def;
    this.#namespace = namespace;
  }

  #params() {
    return {
      group: this.#def.group,
      version: this.#def.version,
      namespace: this.#namespace,
      plural: this.#def.plural,
    };
  }

  async create(
    name: string,
    spec: Record<string, unknown>,
    annotations?: Record<string, string>,
  ): Promise<Managed> {
    return (await this.api.createNamespacedCustomObject({
      ...this.#params(),
      body: {
        apiVersion: apiVersionOf(this.#def),
        kind: this.#def.kind,
        metadata: { name, namespace: this.#namespace, ...(annotations ? { annotations } : {}) },
        spec,
      },
    })) as Managed;
  }

  async get(name: string): Promise<Managed | undefined> {
    try {
      return (await this.api.getNamespacedCustomObject({ ...this.#params(), name })) as Managed;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /** JSON merge patch of the object (spec, metadata). */
  async patch(name: string, body: Record<string, unknown>): Promise<Managed> {
    const { setHeaderOptions } = await import("@kubernetes/client-node");
    return (await this.api.patchNamespacedCustomObject(
      { ...this.#params(), name, body },
      setHeaderOptions("Content-Type", "application/merge-patch+json"),
    )) as Managed;
  }

  async delete(name: string): Promise<void> {
    await this.api.deleteNamespacedCustomObject({ ...this.#params(), name });
  }

  async waitForCondition(
    name: string,
    type: string,
    status: string,
    opts: { reason?: string; timeoutMs?: number } = {},
  ) {
    return waitFor(() => this.get(name), {
      what: `${this.#def.kind} ${name} to have ${type}=${status}${opts.reason ? ` (${opts.reason})` : ""}`,
      timeoutMs: opts.timeoutMs ?? 30_000,
      until: (mr) => {
        const c = mr?.status?.conditions?.find((x) => x.type === type);
        return c?.status === status && (!opts.reason || c.reason === opts.reason);
      },
    }) as Promise<Managed>;
  }

  async waitUntilGone(name: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => (await this.get(name)) === undefined, {
      what: `${this.#def.kind} ${name} to be deleted`,
      timeoutMs,
    });
  }

  /** Events recorded on the named object, oldest first. */
  async events(name: string): Promise<{ reason: string; type: string; message: string; count: number }[]> {
    const list = await this.core.listNamespacedEvent({
      namespace: this.#namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items
      .map((e) => ({
        reason: e.reason ?? "",
        type: e.type ?? "",
        message: e.message ?? "",
        count: e.count ?? 1,
        time: e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp,
      }))
      .sort((a, b) => String(a.time).localeCompare(String(b.time)));
  }
}

export function condition(mr: Managed | undefined, type: string) {
  return mr?.status?.conditions?.find((c) => c.type === type);
}
