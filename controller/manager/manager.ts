// The manager wires the engine together: one watch per managed kind feeds
// one keyed work queue; workers run the managed reconciler; steady
// resources go to the poll sweeper for batched observation; a Lease decides
// which replica does the work; /metrics, /healthz and /readyz report on it.
// Each decision lives in a part of its own, beside this file: event-handlers
// (watch event → key), config-fanout, reference-fanout, steady-poll, dispatch (outcome →
// queue or sweeper), leadership, written (our writes over the cache) and
// defaults. Kubernetes comes in through one injected port (ports.ts).
// Just over 400 lines: what is left here is the wiring of the parts named above, not decisions.
import { apiVersionOf } from "../api/kind.ts";
import type { Managed } from "../api/managed.ts";
import { type KindRegistration, serviceBudgets } from "../api/registration.ts";
import { CachedKubeAccess } from "../cached-kube-access.ts";
import { type Clock, realClock } from "../clock.ts";
import { type HealthServer, startHealthServer } from "../ops/health-server.ts";
import type { Logger } from "../ops/logger.ts";
import { Metrics } from "../ops/metrics.ts";
import type { PollDefaults } from "../poll/schedule.ts";
import { PollSweeper } from "../poll/sweeper.ts";
import type { BudgetLimits, ConnectContext, Observation } from "../provider.ts";
import { CloudBudget } from "../queue/cloud-budget.ts";
import { WorkQueue } from "../queue/workqueue.ts";
import { externalNameOf } from "../reconciler/external-name.ts";
import { ManagedReconciler } from "../reconciler/managed.ts";
import type { ConnectionSecretWriter } from "../reconciler/ports.ts";
import { errorMessage } from "../reconciler/steps.ts";
import { type ConfigObject, ConfigWatches, usersOf } from "./config-fanout.ts";
import { DEFAULTS, rateLimitFor } from "./defaults.ts";
import { applyNextStep, nextStep, resultOf } from "./dispatch.ts";
import { managedHandlers } from "./event-handlers.ts";
import { cacheKeyOf, decodeKey, keyOf, type ResourceKey } from "./keys.ts";
import { type LeaderElectionOptions, Leadership } from "./leadership.ts";
import type { ManagerKube, SecretVersionWatch, WatchSource } from "./ports.ts";
import { ReferenceIndex, referenceTargets } from "./reference-fanout.ts";
import { PrefetchedObservations, steadyPoll } from "./steady-poll.ts";
import { NamespaceWatch, namespaceUsers, tenancySource } from "./tenancy-source.ts";
import { WrittenObjects } from "./written.ts";

export interface ManagerOptions {
  /** How the manager reaches Kubernetes: kubeClients(kubeConfig) in production. */
  kube: ManagerKube;
  kinds: readonly KindRegistration[];
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
  leaderElection?: LeaderElectionOptions;
  /** Cloud-call budget per service (e.g. { rds: { ratePerSecond: 10, burst: 100 } }), over the providers' own. */
  cloudBudget?: Record<string, Partial<BudgetLimits>>;
  /** "host:port" for /metrics, /healthz and /readyz; no server when absent. */
  metricsAddress?: string;
  statusHeartbeatMs?: number;
  clock?: Clock;
  metrics?: Metrics;
  /** Called when leadership is lost; the default stops the manager (the CLI then exits non-zero). */
  onLostLeadership?: () => void;
}

interface KindRuntime {
  reg: KindRegistration;
  source: WatchSource<Managed>;
  reconciler: ManagedReconciler;
  batched: boolean;
  /** The controller's poll defaults with the kind's own over them. */
  poll: PollDefaults;
}

export class Manager {
  readonly metrics: Metrics;
  readonly queue: WorkQueue<ResourceKey>;
  readonly #o: ManagerOptions;
  readonly #clock: Clock;
  readonly #poll: PollDefaults;
  readonly #kinds = new Map<string, KindRuntime>();
  readonly #prefetched: PrefetchedObservations;
  readonly #written = new WrittenObjects();
  readonly #sweeper: PollSweeper<ResourceKey>;
  readonly #configs: ConfigWatches;
  readonly #references: ReferenceIndex;
  readonly #namespaces: NamespaceWatch;
  readonly #connectContext: ConnectContext;
  readonly #connectionSecrets: ConnectionSecretWriter;
  readonly #secretVersions: SecretVersionWatch | undefined;
  readonly #leadership: Leadership;
  #health: HealthServer | undefined;
  #running: Promise<void> | undefined;
  #leading = false;
  #synced = false;
  #stopped = false;

  constructor(options: ManagerOptions) {
    this.#o = options;
    const { kube, log } = options;
    this.#clock = options.clock ?? realClock;
    this.#poll = { ...DEFAULTS.poll, ...options.poll };
    this.#prefetched = new PrefetchedObservations(this.#clock, DEFAULTS.prefetchedMaxAgeMs);
    const metrics = options.metrics ?? new Metrics();
    this.metrics = metrics;
    this.queue = new WorkQueue<ResourceKey>({
      concurrency: options.concurrency ?? DEFAULTS.concurrency,
      rateLimit: options.rateLimit ?? rateLimitFor(DEFAULTS.maxReconcileRate),
      clock: this.#clock,
      observer: {
        depthChanged: (depth) => metrics.queueDepth.set(depth),
        queueLatency: (_key, ms) => metrics.queueLatency.observe(ms / 1000),
        retried: () => metrics.retries.inc(),
      },
    });
    this.#configs = new ConfigWatches({
      kube,
      kinds: options.kinds,
      log,
      changed: (def, name) => {
        if (!this.#leading) return;
        const kinds = [...this.#kinds.values()].map((rt) => ({ reg: rt.reg, list: () => rt.source.list() }));
        for (const key of usersOf(def, name, kinds)) this.queue.add(key);
      },
    });
    this.#namespaces = new NamespaceWatch({
      kube,
      log,
      changed: (namespace) => {
        if (!this.#leading) return;
        const kinds = [...this.#kinds.values()].map((rt) => ({
          kind: rt.reg.def.kind,
          list: () => rt.source.list(),
        }));
        for (const key of namespaceUsers(namespace, kinds)) this.queue.add(key);
      },
    });
    const budget = new CloudBudget({
      defaults: serviceBudgets(options.kinds),
      ...(options.cloudBudget ? { limits: options.cloudBudget } : {}),
      onCall: (key) => metrics.cloudCalls.inc({ service: key.service, operation: key.operation }),
    });
    // Secrets are read on every poll (passwords, cloud credentials): a metadata-only watch says when
    // one changed, so each is fetched once per resourceVersion instead of once per poll.
    this.#secretVersions = kube.secretVersions?.({
      ...(options.namespace ? { namespace: options.namespace } : {}),
      log: log.child({ component: "reflector", resource: "secrets" }),
    });
    this.#connectContext = {
      kube: new CachedKubeAccess(kube.kubeAccess(), {
        watched: (apiVersion, plural) => this.#configs.cached(apiVersion, plural),
        ...(this.#secretVersions ? { secretVersions: this.#secretVersions } : {}),
      }),
      budget,
    };
    const plurals = new Map(options.kinds.map((k) => [k.def.kind, k.def.plural]));
    const store = this.#written.wrap(
      kube.managedStore((mr) => plurals.get(mr.kind) ?? `${mr.kind.toLowerCase()}s`),
      (mr) => keyOf(mr.kind, mr),
    );
    const events = kube.eventRecorder(log.child({ component: "events" }));
    this.#connectionSecrets = kube.connectionSecretWriter(this.#secretVersions);

    this.#references = new ReferenceIndex(options.kinds.map((k) => k.def));
    const references = referenceTargets({
      index: this.#references,
      current: (key) => this.#current(key),
      list: (kind) => this.#kinds.get(kind)?.source.list() ?? [],
    });
    // Keys of kinds this manager serves; a reference to an unserved kind only waits.
    const requeue = (keys: ResourceKey[]) => {
      if (!this.#leading) return;
      for (const key of new Set(keys)) if (this.#kinds.has(decodeKey(key).kind)) this.queue.add(key);
    };
    const sink = {
      enqueue: (key: ResourceKey) => this.queue.add(key),
      forget: (key: ResourceKey) => this.#forget(key),
      resized: () => this.#updateGauges(),
    };
    for (const reg of options.kinds) {
      const { def, provider } = reg;
      const source = kube.watch<Managed>({
        group: def.group,
        version: def.version,
        plural: def.plural,
        ...(options.namespace ? { namespace: options.namespace } : {}),
        log: log.child({ component: "reflector", kind: def.kind }),
        handlers: this.#references.handlers(def.kind, managedHandlers(def.kind, sink), requeue),
      });
      const reconciler = new ManagedReconciler({
        kind: def,
        provider,
        store,
        events,
        connectionSecrets: this.#connectionSecrets,
        connectContext: this.#connectContext,
        now: () => this.#clock.now(),
        metrics,
        log: log.child({ component: "reconciler", kind: def.kind }),
        ...(options.statusHeartbeatMs ? { statusHeartbeatMs: options.statusHeartbeatMs } : {}),
        ...(this.#references.empty ? {} : { references }),
        tenancy: tenancySource(reg, this.#configReader(reg), this.#namespaces),
      });
      const batched = options.sweep?.enabled !== false && typeof provider.connectionKey === "function";
      this.#kinds.set(def.kind, { reg, source, reconciler, batched, poll: { ...this.#poll, ...reg.poll } });
    }

    this.#sweeper = new PollSweeper<ResourceKey>({
      clock: this.#clock,
      intervalMs: options.sweep?.intervalMs ?? DEFAULTS.sweep.intervalMs,
      batchSize: options.sweep?.batchSize ?? DEFAULTS.sweep.batchSize,
      maxPerTick: options.sweep?.maxPerTick ?? DEFAULTS.sweep.maxPerTick,
      lookup: async (key) => {
        const rt = this.#runtimeOf(key);
        const mr = this.#current(key);
        if (!rt || !mr || !rt.reg.provider.connectionKey) return undefined;
        const connection = await rt.reg.provider.connectionKey(mr, this.#connectContext);
        return { mr, group: `${rt.reg.def.kind}|${connection}` };
      },
      observeBatch: async (_group, mrs) => {
        // A group holds one kind and one connection: the first object speaks for all.
        const first = mrs[0];
        const rt = first ? this.#kinds.get(first.kind) : undefined;
        if (!rt || !first) return new Map();
        const client = await rt.reg.provider.connect(first, this.#connectContext);
        try {
          if (!client.observeMany) return new Map();
          const result = await client.observeMany(mrs);
          this.metrics.sweeps.inc({ kind: rt.reg.def.kind, result: "success" });
          return result;
        } finally {
          await client.close?.();
        }
      },
      deliver: (key, observation, observedFor, dueAt) =>
        this.#delivered(key, observation, observedFor, dueAt),
      failed: (keys, error) => {
        log.warn({ err: errorMessage(error), resources: keys.length }, "batched observation failed");
        const first = keys[0];
        if (first) this.metrics.sweeps.inc({ kind: decodeKey(first).kind, result: "error" });
        for (const key of keys) this.queue.addRateLimited(key);
      },
      externalName: externalNameOf,
      onError: (err) => log.error({ err: errorMessage(err) }, "poll sweep failed"),
    });

    this.#leadership = new Leadership({
      kube,
      options: options.leaderElection,
      log,
      lead: () => this.#lead(),
      leading: () => this.#leading,
      lost: () => (this.#o.onLostLeadership ?? (() => void this.stop()))(),
      gauge: (value) => this.metrics.leader.set(value),
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
    // Not awaited: readers use their TTL caches until the Secret list is in, so a slow or refused
    // Secret list (an RBAC rule missing after an upgrade) delays nothing; the reflector logs why.
    this.#secretVersions?.start().catch(() => {});
    await Promise.all([this.#configs.start(), this.#namespaces.start()]);
    await Promise.all([...this.#kinds.values()].map((rt) => rt.source.start()));
    this.#synced = true;
    this.#updateGauges();
    log.info({ kinds: [...this.#kinds.keys()], namespace: this.#o.namespace ?? "(all)" }, "caches synced");
    this.#leadership.start();
  }

  get address(): string | undefined {
    return this.#health?.address;
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** All managed resources currently known, by kind; used by `setpoint drift` in-process and by tests. */
  list(kind: string): Managed[] {
    return this.#kinds.get(kind)?.source.list() ?? [];
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
    await this.#leadership.stop();
    await Promise.all([...this.#kinds.values()].map((rt) => rt.source.stop()));
    await this.#configs.stop();
    await this.#namespaces.stop();
    await this.#secretVersions?.stop();
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
    for (const [kind, rt] of this.#kinds) for (const mr of rt.source.list()) this.queue.add(keyOf(kind, mr));
    this.#sweeper.start();
    this.#running = this.queue.run((key) => this.#process(key));
  }

  async #process(key: ResourceKey): Promise<void> {
    const rt = this.#runtimeOf(key);
    const mr = this.#current(key);
    if (!rt || !mr) {
      this.#forget(key);
      return;
    }
    const kind = rt.reg.def.kind;
    const prefetched = this.#prefetched.take(key, mr);
    const end = this.metrics.reconcileDuration.startTimer({ kind });
    const outcome = await rt.reconciler.reconcile(mr, prefetched);
    end();
    this.metrics.reconciles.inc({ kind, result: resultOf(outcome) });
    const next = nextStep(outcome, {
      mr,
      batched: rt.batched,
      now: this.#clock.now(),
      poll: rt.poll,
      terminalRetryMs: this.#o.terminalRetryMs ?? DEFAULTS.terminalRetryMs,
    });
    // A finished deletion keeps our last write (without the finalizer) over
    // the cache until the watch reports the object gone, so a stale cached
    // copy is never taken for a deletion still to do.
    applyNextStep(key, next, {
      forget: (k) => this.queue.forget(k),
      addAfter: (k, ms) => this.queue.addAfter(k, ms),
      addRateLimited: (k) => this.queue.addRateLimited(k),
      schedule: (k, at) => this.#sweeper.schedule(k, at),
      cancelSweep: (k) => this.#sweeper.cancel(k),
    });
  }

  #delivered(
    key: ResourceKey,
    observation: Observation | undefined,
    observedFor?: Managed,
    dueAt?: number,
  ): void {
    if (observation && observedFor) {
      const mr = this.#current(key);
      const rt = this.#runtimeOf(key);
      // The heartbeat needs a reconcile to write lastCheckTime, so it skips the shortcut.
      if (mr && rt && !this.#o.statusHeartbeatMs) {
        const steady = steadyPoll(
          {
            clock: this.#clock,
            poll: rt.poll,
            connectionSecrets: this.#connectionSecrets,
            schedule: (k, at) => this.#sweeper.schedule(k, at),
            enqueue: (k) => this.queue.add(k),
            counted: (kind) => this.metrics.reconciles.inc({ kind, result: "steady" }),
          },
          key,
          mr,
          observation,
          observedFor,
          dueAt,
        );
        if (steady) return;
      }
    }
    if (observation) this.#prefetched.put(key, observation, observedFor);
    this.queue.add(key);
  }

  /** Reads the cached config objects of the kind's config kind; none when it has no config kind. */
  #configReader(reg: KindRegistration): (name: string) => ConfigObject | undefined {
    const def = reg.configKind;
    const cached = def ? this.#configs.cached(apiVersionOf(def), def.plural) : undefined;
    return cached ?? (() => undefined);
  }

  #runtimeOf(key: ResourceKey): KindRuntime | undefined {
    return this.#kinds.get(decodeKey(key).kind);
  }

  /** The newest copy of an object: the watch cache's, or our own last write if the cache has not caught up. */
  #current(key: ResourceKey): Managed | undefined {
    return this.#written.current(key, this.#runtimeOf(key)?.source.get(cacheKeyOf(decodeKey(key))));
  }

  #forget(key: ResourceKey): void {
    this.#sweeper.cancel(key);
    this.queue.forget(key);
    this.#prefetched.forget(key);
    this.#written.forget(key);
    this.#updateGauges();
  }

  #updateGauges(): void {
    for (const [kind, rt] of this.#kinds) this.metrics.managed.set({ kind }, rt.source.size);
  }
}
