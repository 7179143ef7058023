// One chaos round, end to end, in a fresh environment of its own (kube-apiserver + etcd + moto, so
// the round may restart them and read everything the emulator holds):
//
//   1. setup     CRDs, a ProviderConfig whose endpoint is the fault proxy in front of moto (selecting
//                the tenant namespaces by label, adoption forbidden), the foreign fixtures straight in
//                moto (snapshotted), the resources setpoint must refuse (squatters on another owner's
//                names, adopters of untagged fixtures, outsiders in a namespace the ProviderConfig does
//                not select), the controller's replicas (the compiled build, --leader-elect), the first
//                resources;
//   2. chaos     for `duration`: AWS faults at random rates, process faults, users creating, editing
//                and deleting resources, and the cloud changed out of band;
//   3. calm      faults off, every process back; calm starts once a replica leads. Then the round
//                watches the emulator (and the resources' status) until every resource has converged:
//                Ready, Synced, not Drifted, and the cloud equal to its spec. A resource that takes
//                more than 5 poll intervals is a finding;
//   4. checks    duplicates and leaks in the emulator, the foreign fixtures compared with their
//                snapshot, and every resource deleted: then nothing may be left but the fixtures;
//                no password and no AWS secret key in any log line, event or status.
//
// Over 400 lines: it is the one sequence a round is, with its bookkeeping; the parts it drives are
// in files of their own (workload, specs, cloud-changes, inventory, checks, replicas, process-faults).
// Over 400 lines because it is the round's five phases in the order they run; the faults, the
// workload, the checks and the report are each in a file of their own beside it.
import { appendFileSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../../apis/aws/v1alpha1/providerconfig.ts";
import { installCrds } from "../../cli/install-crds.ts";
import { Annotations } from "../../controller/api/metadata.ts";
import { type Environment, prepareTools, startEnvironment } from "../../controlplane/env.ts";
import { sleep } from "../../controlplane/ports.ts";
import { deriveLoadBalancerName } from "../../providers/aws/elbv2/index.ts";
import { deriveIdentifier } from "../../providers/aws/rds/index.ts";
import { AWS_FAULTS, type AwsFault, AwsFaultProxy, type FaultRates } from "../support/aws-fault-proxy.ts";
import {
  type CloudFinding,
  changedFixtures,
  cloudFindings,
  cloudNameOf,
  idsNamedIn,
  type ObservedCr,
  percentile,
  type RefusalCode,
  secretsIn,
  unconverged,
} from "./checks.ts";
import {
  changeOutOfBand,
  createForeignFixtures,
  OUT_OF_BAND_CHANGES,
  type OutOfBandChange,
  recordsById,
  UNTAGGED_FIXTURES,
} from "./cloud-changes.ts";
import { emulatorClients, type Inventory, readInventory } from "./inventory.ts";
import { PROCESS_FAULTS, type ProcessFault, ProcessFaults } from "./process-faults.ts";
import { type ExitCause, leaderOf, Replica, type ReplicaExit } from "./replicas.ts";
import { Rng } from "./rng.ts";
import { loadBalancerSpec, sqlInstanceSpec } from "./specs.ts";
import { StoppableLoop } from "./stoppable-loop.ts";
import {
  emptyWorkloadCounts,
  PLURALS,
  type TrackedResource,
  Workload,
  type WorkloadCounts,
} from "./workload.ts";

export interface RoundOptions {
  seed: number;
  /** How long the faults run. */
  durationMs: number;
  /** Most SqlInstances, and most LoadBalancers, alive at once. */
  maxPerKind: number;
  /** Created at the start, of each kind. */
  initialPerKind: number;
  replicas: number;
  /** The controller's steady poll interval; "converged within 5 polls" is 5 of these. */
  pollIntervalMs: number;
  /** --aws-request-timeout; the proxy's slow answers are held 1s longer. */
  awsRequestTimeoutMs: number;
  awsFaultRates: FaultRates;
  /** Seconds between process faults; undefined turns them off. */
  processFaultGapSeconds?: readonly [number, number];
  /** Seconds between out-of-band cloud changes; undefined turns them off. */
  outOfBandGapSeconds?: readonly [number, number];
  /** Seconds between user operations. */
  opGapSeconds: readonly [number, number];
  logLevel: string;
  log: (line: string) => void;
}

export const DEFAULT_AWS_FAULT_RATES: FaultRates = {
  throttle: 0.04,
  serverError: 0.03,
  reset: 0.02,
  slow: 0.01,
  dropAfterApply: 0.03,
};

export const CONVERGENCE_POLLS = 5;

export interface ConvergenceFigures {
  /** Seconds from calm to converged, per resource that converged. */
  seconds: number[];
  max?: number;
  p99?: number;
  /** Converged, but later than CONVERGENCE_POLLS poll intervals after calm. */
  late: number;
  /** Not converged when the round stopped watching. */
  never: number;
}

export interface RoundResult {
  seed: number;
  failures: string[];
  /** Wall-clock seconds of each phase. */
  phases: { setup: number; chaos: number; calmToLeader: number; converge: number; deleteAll: number };
  awsCalls: number;
  awsMutatingCalls: number;
  awsFaults: Record<AwsFault, number>;
  /** The faults that hit a mutating call (a create, modify or delete). */
  awsFaultsOnChanges: Record<AwsFault, number>;
  processFaults: Record<ProcessFault, number>;
  kills: number;
  exits: Record<ExitCause, number>;
  workload: WorkloadCounts;
  outOfBand: Record<OutOfBandChange, number>;
  /** Resources created over the round (squatters included), and alive at calm. */
  resources: { created: number; liveAtCalm: number };
  leaked: CloudFinding[];
  duplicated: CloudFinding[];
  foreignTouched: string[];
  convergence: ConvergenceFigures;
  /** The steady poll interval the round ran with: the unit of "converged within 5 polls". */
  pollIntervalMs: number;
  secretsLeaked: string[];
  loadAverage: { start: number; end: number };
  logDir: string;
}

const NAMESPACES = ["chaos-a", "chaos-b"];
/** The label the ProviderConfig's namespaceSelector selects the tenant namespaces by. */
const TENANT_LABELS = { "chaos.setpoint.dev/tenant": "true" };
/** A namespace without that label: its resources get no cloud call at all. */
const OUTSIDE_NAMESPACE = "chaos-outside";
const ALL_NAMESPACES = [...NAMESPACES, OUTSIDE_NAMESPACE];
const FIXTURES = 12;
const SQUATTER_NAMESPACE = "chaos-a";
const ADOPTER_NAMESPACE = "chaos-b";
const LEASE_NAMESPACE = "setpoint-system";
const CREDENTIALS = { namespace: "setpoint-system", name: "aws-credentials" };

const emptyCounts = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

function observed(obj: Record<string, unknown>): ObservedCr {
  const meta = obj.metadata as Record<string, unknown>;
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  return {
    kind: obj.kind as ObservedCr["kind"],
    namespace: String(meta.namespace),
    name: String(meta.name),
    uid: String(meta.uid),
    generation: Number(meta.generation ?? 0),
    deleting: meta.deletionTimestamp !== undefined,
    annotations: (meta.annotations ?? {}) as Record<string, string>,
    forProvider: (spec.forProvider ?? {}) as Record<string, unknown>,
    status: (obj.status ?? {}) as ObservedCr["status"],
  };
}

/** The managed resources on the API server, raw (for the secret scan) and reduced. */
async function listCrs(kc: KubeConfig): Promise<{ raw: unknown[]; crs: ObservedCr[] }> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const raw: unknown[] = [];
  for (const plural of Object.values(PLURALS)) {
    const list = (await api.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as {
      items: Record<string, unknown>[];
    };
    raw.push(...list.items);
  }
  return { raw, crs: (raw as Record<string, unknown>[]).map(observed) };
}

async function installProviderConfig(kc: KubeConfig, endpoint: string, secretKey: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: CREDENTIALS.namespace } } });
  await core.createNamespacedSecret({
    namespace: CREDENTIALS.namespace,
    body: {
      metadata: { name: CREDENTIALS.name },
      stringData: { aws_access_key_id: "chaos", aws_secret_access_key: secretKey },
    },
  });
  await kc.makeApiClient(CustomObjectsApi).createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PROVIDER_CONFIG_PLURAL,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "ProviderConfig",
      metadata: { name: "default" },
      spec: {
        region: "us-east-1",
        endpoint,
        credentials: { source: "Secret", secretRef: { ...CREDENTIALS } },
        // As in a shared cluster: only the tenant namespaces, and no adoption (the default, said
        // out loud, since the adopters' refusal depends on it).
        namespaceSelector: { matchLabels: TENANT_LABELS },
        adoption: { policy: "Forbid" },
      },
    },
  });
}

/** Every `password` value in the chaos namespaces' Secrets: generated and user-given alike. */
async function passwordsInSecrets(kc: KubeConfig): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const out: string[] = [];
  for (const namespace of ALL_NAMESPACES) {
    for (const s of (await core.listNamespacedSecret({ namespace })).items) {
      const v = s.data?.password;
      if (v) out.push(Buffer.from(v, "base64").toString("utf8"));
    }
  }
  return out;
}

async function eventsText(kc: KubeConfig): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const lists = await Promise.all(ALL_NAMESPACES.map((namespace) => core.listNamespacedEvent({ namespace })));
  return JSON.stringify(lists.flatMap((l) => l.items));
}

/** Retries a read against an API server that may still be coming back. */
async function settled<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}

export async function runRound(o: RoundOptions): Promise<RoundResult> {
  const t0 = Date.now();
  const load0 = loadavg()[0] ?? 0;
  const failures: string[] = [];
  const exits: ReplicaExit[] = [];
  const logDir = join(tmpdir(), `setpoint-chaos-${o.seed}-${process.pid}-${Date.now().toString(36)}`);
  await mkdir(logDir, { recursive: true });
  // Everything the round did, with wall-clock times to match the controller's logs, in round.log;
  // the caller's log gets the lines that are not the users' own operations.
  const roundLog = join(logDir, "round.log");
  const log = (line: string) => {
    const stamped = `[seed ${o.seed} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`;
    appendFileSync(roundLog, `${new Date().toISOString()} ${stamped}\n`);
    if (!/^(created|edited|deleted|rotated) /.test(line)) o.log(stamped);
  };

  const env: Environment = await startEnvironment(log, await prepareTools(log));
  const cloud = emulatorClients(env.moto.endpoint);
  const foreignIds = new Set<string>();
  // The cloud names the outsiders derive: no call may name them, not even a read.
  const outsideNames = new Set<string>();
  const foreignCalls: string[] = [];
  const proxy = await AwsFaultProxy.start({
    target: env.moto.endpoint,
    seed: o.seed,
    slowMs: o.awsRequestTimeoutMs + 1000,
    onCall: (call, body) => {
      const text = body.toString("utf8");
      for (const id of idsNamedIn(text, outsideNames))
        foreignCalls.push(`${call.action} names ${id}, of a namespace the ProviderConfig does not select`);
      if (!call.mutating || foreignIds.size === 0) return;
      for (const id of idsNamedIn(text, foreignIds)) foreignCalls.push(`${call.action} names ${id}`);
    },
  });
  const replicas: Replica[] = [];
  let workload: Workload | undefined;
  let faults: ProcessFaults | undefined;
  const outOfBand = emptyCounts(OUT_OF_BAND_CHANGES);
  const outOfBandLoop = new StoppableLoop();
  const phases = { setup: 0, chaos: 0, calmToLeader: 0, converge: 0, deleteAll: 0 };
  const convergence: ConvergenceFigures = { seconds: [], late: 0, never: 0 };
  let leaked: CloudFinding[] = [];
  let duplicated: CloudFinding[] = [];
  const foreignTouched: string[] = [];
  let secretsLeaked: string[] = [];
  let liveAtCalm = 0;

  try {
    // 1. setup ---------------------------------------------------------------------------------------
    const kc = new KubeConfig();
    kc.loadFromFile(env.kube.kubeconfigPath);
    await installCrds(kc);
    const secretKey = `chaos-${new Rng(o.seed).token(32)}`;
    await installProviderConfig(kc, proxy.url, secretKey);

    const squatters = {
      namespace: SQUATTER_NAMESPACE,
      dbIdentifier: deriveIdentifier(SQUATTER_NAMESPACE, "squatter-db"),
      lbName: deriveLoadBalancerName(SQUATTER_NAMESPACE, "squatter-lb"),
    };
    await createForeignFixtures(cloud, Rng.fork(o.seed, "foreign"), squatters);
    const before = recordsById(await readInventory(cloud));
    // 3 DB instances, and 3 load balancers each with a target group and a listener.
    if (before.size !== FIXTURES) throw new Error(`made ${before.size} foreign fixtures, not ${FIXTURES}`);
    for (const id of before.keys()) foreignIds.add(id);
    foreignIds.add(squatters.dbIdentifier);
    foreignIds.add(squatters.lbName);

    workload = new Workload({
      kc,
      rng: Rng.fork(o.seed, "workload"),
      namespaces: NAMESPACES,
      namespaceLabels: TENANT_LABELS,
      maxPerKind: o.maxPerKind,
      gapSeconds: o.opGapSeconds,
      log,
    });
    await workload.createNamespaces();
    await workload.createNamespace(OUTSIDE_NAMESPACE, {});
    outsideNames.add(deriveIdentifier(OUTSIDE_NAMESPACE, "outsider-db"));
    outsideNames.add(deriveLoadBalancerName(OUTSIDE_NAMESPACE, "outsider-lb"));
    // Each pair: a SqlInstance and a LoadBalancer that setpoint must refuse, and why.
    const refused: { namespace: string; prefix: string; code: RefusalCode; adopts?: [string, string] }[] = [
      { namespace: SQUATTER_NAMESPACE, prefix: "squatter", code: "ForeignOwner" },
      {
        namespace: ADOPTER_NAMESPACE,
        prefix: "adopter",
        code: "AdoptionNotAllowed",
        adopts: [UNTAGGED_FIXTURES.db, UNTAGGED_FIXTURES.lb],
      },
      { namespace: OUTSIDE_NAMESPACE, prefix: "outsider", code: "NamespaceNotAllowed" },
    ];
    const specRng = Rng.fork(o.seed, "squatters");
    for (const { namespace, prefix, code, adopts } of refused) {
      const [db, lb] = adopts ?? [];
      await workload.create({
        kind: "SqlInstance",
        namespace,
        name: `${prefix}-db`,
        spec: sqlInstanceSpec(specRng, `${prefix}-db`),
        expectation: { refusedWith: code },
        ...(db ? { annotations: { [Annotations.externalName]: db } } : {}),
      });
      await workload.create({
        kind: "LoadBalancer",
        namespace,
        name: `${prefix}-lb`,
        spec: loadBalancerSpec(specRng),
        expectation: { refusedWith: code },
        ...(lb ? { annotations: { [Annotations.externalName]: lb } } : {}),
      });
    }

    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: LEASE_NAMESPACE } } }).catch(() => {});
    for (let i = 0; i < o.replicas; i++) {
      replicas.push(
        new Replica({
          index: i,
          kubeconfig: env.kube.kubeconfigPath,
          logDir,
          leaseNamespace: LEASE_NAMESPACE,
          env: {
            SETPOINT_POLL_INTERVAL: `${o.pollIntervalMs}ms`,
            SETPOINT_CONVERGING_POLL_INTERVAL: "2s",
            SETPOINT_MIN_POLL_INTERVAL: "1s",
            SETPOINT_AWS_REQUEST_TIMEOUT: `${o.awsRequestTimeoutMs}ms`,
            SETPOINT_LOG_LEVEL: o.logLevel,
          },
          onExit: (e) => {
            exits.push(e);
            if (e.cause === "crashed") log(`replica ${e.replica} CRASHED (code ${e.code}):\n${e.tail}`);
            else if (e.cause !== "killed" && e.cause !== "stopped")
              log(`replica ${e.replica} exited: ${e.cause}`);
          },
        }),
      );
    }
    await Promise.all(replicas.map((r) => r.start()));
    for (let i = 0; i < o.initialPerKind; i++) {
      await workload.createOne("SqlInstance");
      await workload.createOne("LoadBalancer");
    }
    phases.setup = (Date.now() - t0) / 1000;
    log(`setup done: ${replicas.length} replicas, ${workload.resources.size} resources, faults on`);

    // 2. chaos ---------------------------------------------------------------------------------------
    const tChaos = Date.now();
    proxy.setRates(o.awsFaultRates);
    workload.start();
    if (o.processFaultGapSeconds) {
      faults = new ProcessFaults({
        rng: Rng.fork(o.seed, "process-faults"),
        cp: env.kube,
        replicas,
        gapSeconds: o.processFaultGapSeconds,
        log,
      });
      faults.start();
    }
    if (o.outOfBandGapSeconds) {
      const gap = o.outOfBandGapSeconds;
      const rng = Rng.fork(o.seed, "out-of-band");
      const wl = workload;
      outOfBandLoop.start(
        () => rng.between(gap[0], gap[1]) * 1000,
        async () => {
          const live = wl.live().filter((r) => r.uid !== undefined);
          if (live.length === 0) return;
          const r = rng.pick(live);
          const target = {
            kind: r.kind,
            uid: r.uid as string,
            cloudName: cloudNameOf({ ...r, annotations: {} }),
          };
          const change = await changeOutOfBand(cloud, rng, target).catch((err: unknown) => {
            log(
              `out-of-band change on ${r.name} failed: ${err instanceof Error ? err.message : String(err)}`,
            );
            return undefined;
          });
          if (change) {
            outOfBand[change]++;
            log(`out of band: ${change} on ${r.namespace}/${r.name}`);
          }
        },
        () => {},
      );
    }
    await sleep(o.durationMs);

    // 3. calm ----------------------------------------------------------------------------------------
    proxy.setRates({});
    await Promise.all([workload.stop(), faults?.stop(), outOfBandLoop.stop()]);
    phases.chaos = (Date.now() - tChaos) / 1000;
    const tCalm = Date.now();
    await settled(async () => {
      if (!(await leaderOf(replicas))) throw new Error("no replica leads yet");
    }, 90_000);
    const calmAt = Date.now();
    phases.calmToLeader = (calmAt - tCalm) / 1000;
    log(`calm: faults off, every process up, a leader after ${phases.calmToLeader.toFixed(1)}s`);

    const limitMs = CONVERGENCE_POLLS * o.pollIntervalMs;
    // Watch well past the limit, so a late resource still gets its figure.
    const watchUntil = calmAt + 3 * limitMs;
    const since = new Map<string, number | undefined>();
    let lastInventory: Inventory | undefined;
    let lastCrs: ObservedCr[] = [];
    let lastRaw: unknown[] = [];
    let why = new Map<string, string[]>();
    const expectationOf = (cr: ObservedCr) =>
      workload?.resources.get(`${cr.kind}/${cr.namespace}/${cr.name}`)?.expectation ?? "converge";
    for (;;) {
      const [{ raw, crs }, inv] = await Promise.all([settled(() => listCrs(kc)), readInventory(cloud)]);
      const now = Date.now();
      lastInventory = inv;
      lastCrs = crs;
      lastRaw = raw;
      why = new Map();
      for (const cr of crs) {
        const key = `${cr.kind}/${cr.namespace}/${cr.name}`;
        const problems = cr.deleting ? ["still being deleted"] : unconverged(cr, expectationOf(cr), inv);
        if (problems.length === 0) {
          if (since.get(key) === undefined) since.set(key, now);
        } else {
          since.set(key, undefined);
          why.set(key, problems);
        }
      }
      const allSince = crs.map((cr) => since.get(`${cr.kind}/${cr.namespace}/${cr.name}`));
      const allDone = allSince.every((s) => s !== undefined);
      // Converged, and still so one poll interval later: no flapping.
      if (allDone && now - Math.max(...(allSince as number[])) >= o.pollIntervalMs) break;
      if (now > watchUntil) break;
      await sleep(1000);
    }
    phases.converge = (Date.now() - calmAt) / 1000;
    liveAtCalm = lastCrs.length;
    for (const cr of lastCrs) {
      const key = `${cr.kind}/${cr.namespace}/${cr.name}`;
      const at = since.get(key);
      if (at === undefined) {
        convergence.never++;
        failures.push(`${key} did not converge: ${(why.get(key) ?? []).join("; ")}`);
        continue;
      }
      const seconds = Math.max(0, (at - calmAt) / 1000);
      convergence.seconds.push(seconds);
      if (seconds * 1000 > limitMs) {
        convergence.late++;
        failures.push(`${key} converged after ${seconds.toFixed(1)}s, later than ${CONVERGENCE_POLLS} polls`);
      }
    }
    convergence.max = percentile(convergence.seconds, 1);
    convergence.p99 = percentile(convergence.seconds, 0.99);
    const tracked = [...workload.resources.values()].filter((r) => !r.deleted);
    for (const r of tracked) {
      if (!lastCrs.some((c) => c.kind === r.kind && c.namespace === r.namespace && c.name === r.name))
        failures.push(`${r.kind} ${r.namespace}/${r.name} was created but is not on the API server`);
    }
    const atCalm = cloudFindings(lastInventory as Inventory, lastCrs, foreignIds);
    duplicated = atCalm.duplicated;
    leaked = atCalm.leaked;
    const statusText = JSON.stringify(lastRaw);

    // 4. delete everything, then nothing but the fixtures may be left ----------------------------------
    const tDelete = Date.now();
    const all = [...workload.resources.values()].filter((r) => !r.deleted);
    for (const r of all) await workload.delete(r);
    const pending = new Set<TrackedResource>([...workload.resources.values()]);
    const deleteDeadline = Date.now() + limitMs + 60_000;
    while (pending.size > 0 && Date.now() < deleteDeadline) {
      for (const r of [...pending])
        if (await settled(() => (workload as Workload).gone(r))) pending.delete(r);
      if (pending.size > 0) await sleep(1000);
    }
    phases.deleteAll = (Date.now() - tDelete) / 1000;
    for (const r of pending)
      failures.push(`${r.kind} ${r.namespace}/${r.name} was not deleted (finalizer stuck)`);
    const finalInv = await readInventory(cloud);
    const afterDelete = cloudFindings(finalInv, [], foreignIds);
    const seen = new Set(leaked.map((l) => l.id));
    leaked.push(...afterDelete.leaked.filter((l) => !seen.has(l.id)));
    duplicated.push(...afterDelete.duplicated);
    for (const c of changedFixtures(before, recordsById(finalInv)))
      foreignTouched.push(`${c.id} changed: ${c.before} -> ${c.after}`);
    foreignTouched.push(...new Set(foreignCalls));

    // The secrets: every password setpoint generated or was given, and the AWS secret key.
    const secrets = [...(await passwordsInSecrets(kc)), ...workload.passwords, secretKey];
    const logs = (
      await Promise.all(replicas.flatMap((r) => r.logPaths).map((p) => readFile(p, "utf8").catch(() => "")))
    ).join("\n");
    secretsLeaked = [
      ...secretsIn(logs, secrets).map(() => "a secret in a controller log line"),
      ...secretsIn(await eventsText(kc), secrets).map(() => "a secret in an event"),
      ...secretsIn(statusText, secrets).map(() => "a secret in a resource's status or spec"),
    ];
  } catch (err) {
    failures.push(
      `the round itself failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  } finally {
    await outOfBandLoop.stop();
    await workload?.stop();
    await faults?.stop().catch(() => {});
    await Promise.all(replicas.map((r) => r.stop()));
    await proxy.close();
    cloud.destroy();
    await env.stop();
  }

  for (const d of duplicated) failures.push(`duplicated ${d.type} ${d.id}: ${d.why}`);
  for (const l of leaked) failures.push(`leaked ${l.type} ${l.id}: ${l.why}`);
  for (const f of foreignTouched) failures.push(`foreign resource touched: ${f}`);
  for (const s of secretsLeaked) failures.push(s);
  for (const e of exits.filter((x) => x.cause === "crashed"))
    failures.push(`replica ${e.replica} crashed (code ${e.code}, signal ${e.signal}):\n${e.tail}`);
  const stats = proxy.stats();
  const onChanges = emptyCounts(AWS_FAULTS);
  for (const c of proxy.calls((r) => r.mutating && r.fault !== undefined)) onChanges[c.fault as AwsFault]++;
  const exitCounts = emptyCounts<ExitCause>([
    "killed",
    "lostLeadership",
    "startFailed",
    "stopped",
    "crashed",
  ]);
  for (const e of exits) exitCounts[e.cause]++;
  return {
    seed: o.seed,
    failures,
    phases,
    awsCalls: stats.calls,
    awsMutatingCalls: stats.mutatingCalls,
    awsFaults: { ...emptyCounts(AWS_FAULTS), ...stats.faults },
    awsFaultsOnChanges: onChanges,
    processFaults: faults ? { ...faults.counts } : emptyCounts(PROCESS_FAULTS),
    kills: faults?.kills ?? 0,
    exits: exitCounts,
    workload: workload?.counts ?? emptyWorkloadCounts(),
    outOfBand,
    resources: { created: workload?.counts.created ?? 0, liveAtCalm },
    leaked,
    duplicated,
    foreignTouched,
    convergence,
    pollIntervalMs: o.pollIntervalMs,
    secretsLeaked,
    loadAverage: { start: load0, end: loadavg()[0] ?? 0 },
    logDir,
  };
}
