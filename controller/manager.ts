// The manager wires the engine together: one watch per managed kind feeds
// one keyed work queue; workers run the managed reconciler; steady
// resources go to the poll sweeper for batched observation; a Lease decides
// which replica does the work; /metrics, /healthz and /readyz report on it.
import type { KubeConfig } from "@kubernetes/client-node";
import { GROUP, type KindDefinition, type Managed, VERSION } from "../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../apis/aws/v1alpha1/providerconfig.ts";
import { CachedKubeAccess } from "./cached-kube-access.ts";
import { type Clock, realClock } from "./clock.ts";
import { KubeConnectionSecretWriter } from "./kube/connection-secret.ts";
import { KubeEventRecorder } from "./kube/events.ts";
import { KubeAccessImpl } from "./kube/kube-access.ts";
import { LeaderElector } from "./kube/leader-election.ts";
import { KubeManagedStore } from "./kube/managed-store.ts";
import { withPooledConnections } from "./kube/pooled-connections.ts";
import { Reflector } from "./kube/reflector.ts";
import { type HealthServer, startHealthServer } from "./ops/health-server.ts";
import type { Logger } from "./ops/logger.ts";
import { Metrics } from "./ops/metrics.ts";
import { DEFAULT_POLL, type PollDefaults, pollDelay } from "./poll/schedule.ts";
import { PollSweeper } from "./poll/sweeper.ts";
import type { ConnectContext, Observation, Provider } from "./provider.ts";
import { CloudBudget, type CloudBudgetOptions } from "./queue/cloud-budget.ts";
import { WorkQueue } from "./queue/workqueue.ts";
import { externalNameOf } from "./reconciler/external-name.ts";
import { errorMessage, ManagedReconciler } from "./reconciler/managed.ts";
import { isSteady } from "./reconciler/steady.ts";

export interface ManagedKindRegistration {
  def: KindDefinition;
  provider: Provider;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  kinds: ManagedKindRegistration[];
  log: Logger;
  /** Only reconcile resources in this namespace; all namespaces when absent. */
  namespace?: string;
  /** Most reconciles at once. */
  concurrency?: number;
  /** Global limit on reconciles started per second. */
  rateLimit?: { qps: number; burst: number };
  poll?: Partial<PollDefaults>;
  /** How long a terminal error waits before the next try, unless the spec changes first. */
  terminalRetryMs?: number;
  /** Batched observation: how often due resources are collected, and the batch size. */
  sweep?: { intervalMs?: number; batchSize?: number; maxPerTick?: number; enabled?: boolean };
  leaderElection?: {
    enabled: boolean;
    namespace?: string;
    name?: string;
    identity?: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  /** Cloud-call budget per service (e.g. { rds: { ratePerSecond: 10, burst: 100 } }), over the defaults. */
  cloudBudget?: CloudBudgetOptions["limits"];
  /** "host:port" for /metrics, /healthz and /readyz; no server when absent. */
  metricsAddress?: string;
  statusHeartbeatMs?: number;
  clock?: Clock;
  metrics?: Metrics;
  /** Called when leadership is lost; the default stops the manager (the CLI then exits non-zero). */
  onLostLeadership?: () => void;
}

interface KindRuntime {
  reg: ManagedKindRegistration;
  reflector: Reflector<Managed>;
  reconciler: ManagedReconciler;
  batched: boolean;
}

/** "Kind/namespace/name": one queue serves every kind. */
type Key = string;

export class Manager {
  readonly metrics: Metrics;
  readonly queue: WorkQueue<Key>;
  readonly #o: ManagerOptions;
  readonly #clock: Clock;
  readonly #poll: PollDefaults;
  readonly #kinds = new Map<string, KindRuntime>();
  readonly #prefetched = new Map<
    Key,
    { observation: Observation; at: number; resourceVersion: string | undefined }
  >();
  /** Objects we wrote, newer than the watch cache may be yet; keeps a worker from acting on a stale copy. */
  readonly #written = new Map<Key, Managed>();
  readonly #sweeper: PollSweeper;
  /** Only when an AWS kind is registered: test kinds of other groups have no ProviderConfig. */
  readonly #providerConfigs: Reflector<Record<string, unknown> & { metadata: { name: string } }> | undefined;
  readonly #connectContext: ConnectContext;
  readonly #store: KubeManagedStore;
  readonly #connectionSecrets: KubeConnectionSecretWriter;
  #elector: LeaderElector | undefined;
  #health: HealthServer | undefined;
  #running: Promise<void> | undefined;
  #leading = false;
  #synced = false;
  #stopped = false;

  constructor(options: ManagerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
    this.#poll = { ...DEFAULT_POLL, ...options.poll };
    this.metrics = options.metrics ?? new Metrics();
    const metrics = this.metrics;
    this.queue = new WorkQueue<Key>({
      concurrency: options.concurrency ?? 16,
      rateLimit: options.rateLimit ?? { qps: 50, burst: 100 },
      clock: this.#clock,
      observer: {
        depthChanged: (depth) => metrics.queueDepth.set(depth),
        queueLatency: (_key, ms) => metrics.queueLatency.observe(ms / 1000),
        retried: () => metrics.retries.inc(),
      },
    });
    const kc = withPooledConnections(options.kubeConfig);
    const needsProviderConfigs = options.kinds.some((k) => (k.def.group ?? GROUP) === GROUP);
    this.#providerConfigs = !needsProviderConfigs
      ? undefined
      : new Reflector({
          kubeConfig: kc,
          group: GROUP,
          version: VERSION,
          plural: PROVIDER_CONFIG_PLURAL,
          log: options.log.child({ component: "reflector", resource: PROVIDER_CONFIG_PLURAL }),
          handlers: {
            onAdd: (pc) => this.#requeueUsersOf(pc.metadata.name),
            onUpdate: (_old, pc) => this.#requeueUsersOf(pc.metadata.name),
            onDelete: (pc) => this.#requeueUsersOf(pc.metadata.name),
          },
        });
    const budget = new CloudBudget({
      ...(options.cloudBudget ? { limits: options.cloudBudget } : {}),
      onCall: (key) => metrics.cloudCalls.inc({ service: key.service, operation: key.operation }),
    });
    this.#connectContext = {
      kube: new CachedKubeAccess(new KubeAccessImpl(kc), {
        providerConfig: (name) => this.#providerConfigs?.get(name),
      }),
      budget,
    };
    this.#store = new KubeManagedStore(kc);
    const events = new KubeEventRecorder(kc, options.log.child({ component: "events" }));
    const connectionSecrets = new KubeConnectionSecretWriter(kc);
    this.#connectionSecrets = connectionSecrets;

    for (const reg of options.kinds) {
      const { def, provider } = reg;
      const kind = def.kind;
      const reflector = new Reflector<Managed>({
        kubeConfig: kc,
        group: def.group ?? GROUP,
        version: VERSION,
        plural: def.plural,
        ...(options.namespace ? { namespace: options.namespace } : {}),
        log: options.log.child({ component: "reflector", kind }),
        handlers: {
          onAdd: (mr) => {
            this.queue.add(keyOf(kind, mr));
            this.#updateGauges();
          },
          onUpdate: (old, mr) => {
            if (needsReconcile(old, mr)) this.queue.add(keyOf(kind, mr));
          },
          onDelete: (mr) => this.#forget(keyOf(kind, mr)),
        },
      });
      const store = this.#store;
      const written = this.#written;
      const reconciler = new ManagedReconciler({
        kind: def,
        provider,
        store: {
          patchMetadata: async (mr, patch) => remember(written, kind, await store.patchMetadata(mr, patch)),
          patchForProvider: async (mr, values) =>
            remember(written, kind, await store.patchForProvider(mr, values)),
          writeStatus: async (mr, status) => remember(written, kind, await store.writeStatus(mr, status)),
        },
        events,
        connectionSecrets,
        connectContext: this.#connectContext,
        now: () => this.#clock.now(),
        metrics,
        log: options.log.child({ component: "reconciler", kind }),
        ...(options.statusHeartbeatMs ? { statusHeartbeatMs: options.statusHeartbeatMs } : {}),
      });
      const batched = options.sweep?.enabled !== false && typeof provider.connectionKey === "function";
      this.#kinds.set(kind, { reg, reflector, reconciler, batched });
    }

    this.#sweeper = new PollSweeper({
      clock: this.#clock,
      // Waiting up to 5s lets a sweep gather more due resources into one
      // batch; it stays within the "poll interval + 5s" correction promise.
      intervalMs: options.sweep?.intervalMs ?? 5000,
      batchSize: options.sweep?.batchSize ?? 100,
      maxPerTick: options.sweep?.maxPerTick ?? 2000,
      lookup: async (key) => {
        const rt = this.#runtimeOf(key);
        const mr = this.#current(key);
        if (!rt || !mr || !rt.reg.provider.connectionKey) return undefined;
        return {
          mr,
          group: `${rt.reg.def.kind}|${await rt.reg.provider.connectionKey(mr, this.#connectContext)}`,
        };
      },
      observeBatch: async (group, mrs) => {
        const kind = group.slice(0, group.indexOf("|"));
        const rt = this.#kinds.get(kind);
        const first = mrs[0];
        if (!rt || !first) return new Map();
        const client = await rt.reg.provider.connect(first, this.#connectContext);
        try {
          if (!client.observeMany) return new Map();
          const result = await client.observeMany(mrs);
          this.metrics.sweeps.inc({ kind, result: "success" });
          return result;
        } finally {
          await client.close?.();
        }
      },
      deliver: (key, observation, observedFor, dueAt) => {
        if (observation && observedFor && this.#steadyPoll(key, observation, observedFor, dueAt)) return;
        if (observation) {
          this.#prefetched.set(key, {
            observation,
            at: this.#clock.now(),
            resourceVersion: observedFor?.metadata.resourceVersion,
          });
        }
        this.queue.add(key);
      },
      failed: (keys, error) => {
        options.log.warn({ err: errorMessage(error), resources: keys.length }, "batched observation failed");
        const first = keys[0];
        if (first) this.metrics.sweeps.inc({ kind: first.slice(0, first.indexOf("/")), result: "error" });
        for (const key of keys) this.queue.addRateLimited(key);
      },
      externalName: externalNameOf,
      onError: (err) => options.log.error({ err: errorMessage(err) }, "poll sweep failed"),
    });
  }

  /** Starts watches, the health server, and (once leading) the workers. Resolves once started. */
  async start(): Promise<void> {
    const { log } = this.#o;
    if (this.#o.metricsAddress) {
      this.#health = await startHealthServer(this.#o.metricsAddress, this.metrics.registry, {
        healthy: () => !this.#stopped,
        ready: () => this.#synced,
      });
      log.info({ address: this.#health.address }, "serving /metrics, /healthz and /readyz");
    }
    await this.#providerConfigs?.start();
    await Promise.all([...this.#kinds.values()].map((rt) => rt.reflector.start()));
    this.#synced = true;
    this.#updateGauges();
    log.info({ kinds: [...this.#kinds.keys()], namespace: this.#o.namespace ?? "(all)" }, "caches synced");

    const le = this.#o.leaderElection;
    if (le?.enabled) {
      this.#elector = new LeaderElector({
        kubeConfig: this.#o.kubeConfig,
        namespace: le.namespace ?? "default",
        name: le.name ?? "setpoint-controller",
        ...(le.identity ? { identity: le.identity } : {}),
        ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
        ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
        ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
        log: log.child({ component: "leader-election" }),
        onStartedLeading: () => this.#lead(),
        onStoppedLeading: () => {
          this.metrics.leader.set(0);
          if (!this.#leading) return;
          log.error("lost leadership; stopping so that only one replica acts");
          (this.#o.onLostLeadership ?? (() => void this.stop()))();
        },
      });
      this.#elector.start();
      log.info("waiting to become leader");
    } else {
      this.#lead();
    }
  }

  get address(): string | undefined {
    return this.#health?.address;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** All managed resources currently known, by kind; used by `setpoint drift` in-process and by tests. */
  list(kind: string): Managed[] {
    return this.#kinds.get(kind)?.reflector.list() ?? [];
  }

  /** Graceful stop: no new work, in-flight reconciles finish, the Lease is released. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { log } = this.#o;
    log.info({ inFlight: this.queue.processingCount() }, "shutting down");
    await this.#sweeper.stop();
    this.queue.shutdown();
    await this.queue.drain();
    await this.#running;
    await this.#elector?.stop();
    await Promise.all([...this.#kinds.values()].map((rt) => rt.reflector.stop()));
    await this.#providerConfigs?.stop();
    await this.#health?.close();
    this.metrics.leader.set(0);
    log.info("stopped");
  }

  #lead(): void {
    if (this.#stopped || this.#leading) return;
    this.#leading = true;
    this.metrics.leader.set(1);
    this.#o.log.info("leading: starting workers");
    // Everything known gets one reconcile; from then on watch events and polls drive the queue.
    for (const [kind, rt] of this.#kinds)
      for (const mr of rt.reflector.list()) this.queue.add(keyOf(kind, mr));
    this.#sweeper.start();
    this.#running = this.queue.run((key) => this.#process(key));
  }

  async #process(key: Key): Promise<void> {
    const rt = this.#runtimeOf(key);
    const mr = this.#current(key);
    if (!rt || !mr) {
      this.#forget(key);
      return;
    }
    const kind = rt.reg.def.kind;
    const prefetched = this.#takePrefetched(key, mr);
    const end = this.metrics.reconcileDuration.startTimer({ kind });
    const outcome = await rt.reconciler.reconcile(mr, prefetched);
    end();
    switch (outcome.kind) {
      case "poll": {
        this.metrics.reconciles.inc({ kind, result: "success" });
        this.queue.forget(key);
        const delay = pollDelay({
          ready: outcome.ready,
          inProgress: outcome.inProgress,
          ...(mr.spec.pollInterval ? { specInterval: mr.spec.pollInterval } : {}),
          defaults: this.#poll,
        });
        if (rt.batched && outcome.ready && !outcome.inProgress)
          this.#sweeper.schedule(key, this.#clock.now() + delay);
        else this.queue.addAfter(key, delay);
        break;
      }
      case "retry":
        this.metrics.reconciles.inc({ kind, result: "error" });
        this.#sweeper.cancel(key);
        this.queue.addRateLimited(key);
        break;
      case "terminal":
        this.metrics.reconciles.inc({ kind, result: "terminal" });
        this.#sweeper.cancel(key);
        this.queue.forget(key);
        this.queue.addAfter(key, this.#o.terminalRetryMs ?? 5 * 60_000);
        break;
      case "done":
        this.metrics.reconciles.inc({ kind, result: "success" });
        this.#sweeper.cancel(key);
        this.queue.forget(key);
        this.#written.delete(key);
        break;
    }
  }

  /**
   * A swept poll that found nothing to do schedules the next one itself,
   * without a worker: the queue and its rate limit stay free for spec
   * changes and corrections, whatever the fleet's size.
   */
  #steadyPoll(key: Key, observation: Observation, observedFor: Managed, dueAt?: number): boolean {
    const rt = this.#runtimeOf(key);
    const mr = this.#current(key);
    if (!rt || !mr || this.#o.statusHeartbeatMs) return false;
    if (mr.metadata.resourceVersion !== observedFor.metadata.resourceVersion || !isSteady(mr, observation)) {
      return false;
    }
    if (mr.spec.writeConnectionSecretToRef && observation.connectionDetails) {
      // Skips the write when nothing changed; a failure takes the full path next time.
      this.#connectionSecrets.write(mr, observation.connectionDetails).catch(() => this.queue.add(key));
    }
    this.metrics.reconciles.inc({ kind: rt.reg.def.kind, result: "steady" });
    const delay = pollDelay({
      ready: true,
      ...(mr.spec.pollInterval ? { specInterval: mr.spec.pollInterval } : {}),
      defaults: this.#poll,
    });
    // From when the poll was due, not when the sweep got to it, so that the
    // sweep tick does not stretch every interval; never sooner than the minimum.
    const now = this.#clock.now();
    this.#sweeper.schedule(key, Math.max(now + this.#poll.minMs, (dueAt ?? now) + delay));
    return true;
  }

  #takePrefetched(key: Key, mr: Managed): Observation | undefined {
    const entry = this.#prefetched.get(key);
    this.#prefetched.delete(key);
    // A batched observation older than this is not trusted over a fresh one.
    if (!entry || this.#clock.now() - entry.at > 10_000) return undefined;
    // An observation compares the cloud with one version of the object. If the
    // object changed since the sweeper took it (a spec edit, a status write),
    // its drift is measured against a spec that is no longer wanted: a user's
    // own change would be reported and "corrected" as drift. Observe afresh.
    if (entry.resourceVersion !== mr.metadata.resourceVersion) return undefined;
    return entry.observation;
  }

  #runtimeOf(key: Key): KindRuntime | undefined {
    return this.#kinds.get(key.slice(0, key.indexOf("/")));
  }

  /** The newest copy of an object: the watch cache's, or our own last write if the cache has not caught up. */
  #current(key: Key): Managed | undefined {
    const rt = this.#runtimeOf(key);
    const cached = rt?.reflector.get(key.slice(key.indexOf("/") + 1));
    const mine = this.#written.get(key);
    if (!cached) return undefined;
    if (!mine) return cached;
    if (newerOrSame(cached.metadata.resourceVersion, mine.metadata.resourceVersion)) {
      this.#written.delete(key);
      return cached;
    }
    return mine;
  }

  #forget(key: Key): void {
    this.#sweeper.cancel(key);
    this.queue.forget(key);
    this.#prefetched.delete(key);
    this.#written.delete(key);
    this.#updateGauges();
  }

  #requeueUsersOf(providerConfigName: string): void {
    if (!this.#leading) return;
    for (const [kind, rt] of this.#kinds) {
      for (const mr of rt.reflector.list()) {
        if ((mr.spec?.providerConfigRef?.name ?? "default") === providerConfigName)
          this.queue.add(keyOf(kind, mr));
      }
    }
  }

  #updateGauges(): void {
    for (const [kind, rt] of this.#kinds) this.metrics.managed.set({ kind }, rt.reflector.size);
  }
}

export function keyOf(kind: string, mr: Managed): Key {
  return `${kind}/${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
}

function remember(written: Map<Key, Managed>, kind: string, mr: Managed): Managed {
  written.set(keyOf(kind, mr), mr);
  return mr;
}

/**
 * Only changes a user (or setpoint itself) made to what the resource should
 * be trigger a reconcile; our own status writes come back through the
 * watch too and must not cause a loop.
 */
export function needsReconcile(old: Managed, mr: Managed): boolean {
  return (
    old.metadata.generation !== mr.metadata.generation ||
    old.metadata.deletionTimestamp !== mr.metadata.deletionTimestamp ||
    JSON.stringify(old.metadata.annotations ?? {}) !== JSON.stringify(mr.metadata.annotations ?? {}) ||
    JSON.stringify(old.metadata.finalizers ?? []) !== JSON.stringify(mr.metadata.finalizers ?? [])
  );
}

/** resourceVersions are opaque, but etcd's are increasing integers; anything else counts as newer. */
function newerOrSame(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return true;
  try {
    return BigInt(a) >= BigInt(b);
  } catch {
    return true;
  }
}
