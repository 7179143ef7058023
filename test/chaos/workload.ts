// The users of a chaos round: they create, edit and delete SqlInstances and LoadBalancers, and rotate
// passwords, while the faults run. Their writes go to the API server that the chaos restarts, so each
// write is retried until it lands, the way kubectl in a retry loop or a GitOps tool would: a create
// whose answer was lost finds its object on the retry (409), a delete finds it gone (404).
import { randomBytes } from "node:crypto";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { sleep } from "../../controlplane/ports.ts";
import type { Expectation } from "./checks.ts";
import type { Rng } from "./rng.ts";
import { type ChaosKind, editSpec, loadBalancerSpec, type Spec, sqlInstanceSpec } from "./specs.ts";
import { StoppableLoop } from "./stoppable-loop.ts";

export const PLURALS: Record<ChaosKind, string> = {
  SqlInstance: "sqlinstances",
  LoadBalancer: "loadbalancers",
};

export interface TrackedResource {
  kind: ChaosKind;
  namespace: string;
  name: string;
  spec: Spec;
  uid?: string;
  expectation: Expectation;
  annotations?: Record<string, string>;
  deleted: boolean;
  /** A user-provided password Secret (name), when the spec names one. */
  passwordSecret?: string;
}

export interface WorkloadCounts {
  created: number;
  deleted: number;
  recreatedNames: number;
  edits: Record<string, number>;
  passwordRotations: number;
  /** Writes that failed at least once (the API server was away) before they landed. */
  retriedWrites: number;
}

export interface WorkloadOptions {
  kc: KubeConfig;
  rng: Rng;
  namespaces: readonly string[];
  /** The labels the users' namespaces carry (the ProviderConfig's namespaceSelector selects them). */
  namespaceLabels: Readonly<Record<string, string>>;
  /** Most resources of each kind alive at once. */
  maxPerKind: number;
  /** Seconds between two operations, drawn uniformly. */
  gapSeconds: readonly [number, number];
  log: (line: string) => void;
}

/** The statuses worth retrying a write for: the API server is away, overloaded or restarting. */
function retryable(err: unknown): boolean {
  if (err instanceof ApiException) return err.code === 429 || err.code >= 500;
  // No HTTP answer at all: refused, reset, timed out.
  return true;
}

const statusOf = (err: unknown) => (err instanceof ApiException ? err.code : undefined);

export function emptyWorkloadCounts(): WorkloadCounts {
  return { created: 0, deleted: 0, recreatedNames: 0, edits: {}, passwordRotations: 0, retriedWrites: 0 };
}

export class Workload {
  readonly resources = new Map<string, TrackedResource>();
  readonly counts: WorkloadCounts = emptyWorkloadCounts();
  /** Every password the users gave setpoint (for the secret scan). */
  readonly passwords = new Set<string>();
  readonly #o: WorkloadOptions;
  readonly #custom: CustomObjectsApi;
  readonly #core: CoreV1Api;
  readonly #next: Record<ChaosKind, number> = { SqlInstance: 0, LoadBalancer: 0 };
  readonly #loop = new StoppableLoop();

  constructor(o: WorkloadOptions) {
    this.#o = o;
    this.#custom = o.kc.makeApiClient(CustomObjectsApi);
    this.#core = o.kc.makeApiClient(CoreV1Api);
  }

  live(kind?: ChaosKind): TrackedResource[] {
    return [...this.resources.values()].filter(
      (r) => !r.deleted && r.expectation === "converge" && (kind === undefined || r.kind === kind),
    );
  }

  /** Retries `fn` while the API server is away, for up to two minutes. */
  async #write<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + 120_000;
    let failed = false;
    for (;;) {
      try {
        const out = await fn();
        if (failed) this.counts.retriedWrites++;
        return out;
      } catch (err) {
        if (!retryable(err) || Date.now() > deadline) {
          throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        }
        failed = true;
        await sleep(500);
      }
    }
  }

  /** The users' namespaces, with their labels. */
  async createNamespaces(): Promise<void> {
    for (const name of this.#o.namespaces) await this.createNamespace(name, this.#o.namespaceLabels);
  }

  async createNamespace(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.#write(`create namespace ${name}`, () =>
      this.#core.createNamespace({ body: { metadata: { name, labels: { ...labels } } } }).catch((err) => {
        if (statusOf(err) !== 409) throw err;
      }),
    );
  }

  async #putPassword(namespace: string, name: string, password: string): Promise<void> {
    this.passwords.add(password);
    const body = { metadata: { name, namespace }, stringData: { password } };
    await this.#write(`write Secret ${namespace}/${name}`, () =>
      this.#core.createNamespacedSecret({ namespace, body }).catch((err) => {
        if (statusOf(err) !== 409) throw err;
        return this.#core.replaceNamespacedSecret({ name, namespace, body });
      }),
    );
  }

  /** Creates a resource (and its password Secret), retrying until the API server has it. */
  async create(r: Omit<TrackedResource, "deleted" | "uid">): Promise<TrackedResource> {
    const tracked: TrackedResource = { ...r, deleted: false };
    this.resources.set(`${r.kind}/${r.namespace}/${r.name}`, tracked);
    if (r.passwordSecret) await this.#putPassword(r.namespace, r.passwordSecret, newPassword());
    const params = { group: GROUP, version: VERSION, namespace: r.namespace, plural: PLURALS[r.kind] };
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: r.kind,
      metadata: {
        name: r.name,
        namespace: r.namespace,
        ...(r.annotations ? { annotations: r.annotations } : {}),
      },
      spec: r.spec,
    };
    const created = (await this.#write(`create ${r.kind} ${r.namespace}/${r.name}`, () =>
      this.#custom.createNamespacedCustomObject({ ...params, body }).catch((err) => {
        // Our own create whose answer was lost.
        if (statusOf(err) !== 409) throw err;
        return this.#custom.getNamespacedCustomObject({ ...params, name: r.name });
      }),
    )) as { metadata?: { uid?: string } };
    if (created.metadata?.uid) tracked.uid = created.metadata.uid;
    this.counts.created++;
    this.#o.log(`created ${r.kind} ${r.namespace}/${r.name} (uid ${tracked.uid})`);
    return tracked;
  }

  async #edit(r: TrackedResource): Promise<void> {
    const { rng } = this.#o;
    if (r.passwordSecret && rng.chance(0.25)) {
      await this.#putPassword(r.namespace, r.passwordSecret, newPassword());
      this.counts.passwordRotations++;
      this.#o.log(`rotated the password of ${r.namespace}/${r.name}`);
      return;
    }
    const { what, spec } = editSpec(r.kind, r.spec, rng);
    await this.#write(`edit ${r.kind} ${r.namespace}/${r.name}`, () =>
      this.#custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: r.namespace,
          plural: PLURALS[r.kind],
          name: r.name,
          body: [{ op: "replace", path: "/spec/forProvider", value: spec.forProvider }],
        },
        setHeaderOptions("Content-Type", "application/json-patch+json"),
      ),
    );
    r.spec = spec;
    this.counts.edits[what] = (this.counts.edits[what] ?? 0) + 1;
    this.#o.log(`edited ${r.kind} ${r.namespace}/${r.name}: ${what}`);
  }

  async delete(r: TrackedResource): Promise<void> {
    await this.#write(`delete ${r.kind} ${r.namespace}/${r.name}`, () =>
      this.#custom
        .deleteNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: r.namespace,
          plural: PLURALS[r.kind],
          name: r.name,
        })
        .catch((err) => {
          if (statusOf(err) !== 404) throw err;
        }),
    );
    if (!r.deleted) this.counts.deleted++;
    r.deleted = true;
    this.#o.log(`deleted ${r.kind} ${r.namespace}/${r.name}`);
  }

  /** Whether the API server no longer has the object (its finalizer is released). */
  async gone(r: Pick<TrackedResource, "kind" | "namespace" | "name">): Promise<boolean> {
    try {
      await this.#custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: r.namespace,
        plural: PLURALS[r.kind],
        name: r.name,
      });
      return false;
    } catch (err) {
      if (statusOf(err) === 404) return true;
      throw err;
    }
  }

  /** A new resource of `kind`, or (sometimes) one reusing the name of a resource that is gone. */
  async createOne(kind: ChaosKind): Promise<void> {
    const { rng, namespaces } = this.#o;
    const reusable = [...this.resources.values()].filter(
      (r) => r.deleted && r.kind === kind && r.expectation === "converge",
    );
    let namespace: string;
    let name: string;
    const reuse = reusable.length > 0 && rng.chance(0.2) ? rng.pick(reusable) : undefined;
    if (reuse && (await this.gone(reuse).catch(() => false))) {
      ({ namespace, name } = reuse);
      this.counts.recreatedNames++;
    } else {
      namespace = rng.pick(namespaces);
      name = `${kind === "SqlInstance" ? "db" : "lb"}-${++this.#next[kind]}`;
    }
    const passwordSecret = kind === "SqlInstance" && rng.chance(0.3) ? `${name}-password` : undefined;
    const spec = kind === "SqlInstance" ? sqlInstanceSpec(rng, name, passwordSecret) : loadBalancerSpec(rng);
    await this.create({
      kind,
      namespace,
      name,
      spec,
      expectation: "converge",
      ...(passwordSecret ? { passwordSecret } : {}),
    });
  }

  start(): void {
    const { rng, gapSeconds, maxPerKind, log } = this.#o;
    this.#loop.start(
      () => rng.between(gapSeconds[0], gapSeconds[1]) * 1000,
      async () => {
        const kind: ChaosKind = rng.chance(0.5) ? "SqlInstance" : "LoadBalancer";
        const live = this.live(kind);
        const op = rng.weighted({
          create: live.length < maxPerKind ? 3 : 0,
          edit: live.length > 0 ? 4 : 0,
          delete: live.length > 1 ? 2 : 0,
        });
        try {
          if (op === "create") await this.createOne(kind);
          else if (op === "edit") await this.#edit(rng.pick(live));
          else await this.delete(rng.pick(live));
        } catch (err) {
          log(`workload ${op} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
      () => {},
    );
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}

/** A password as a user would put in a Secret: 24 random characters RDS accepts. */
function newPassword(): string {
  return randomBytes(18).toString("base64url");
}
