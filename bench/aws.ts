// `npm run bench -- rds` and `npm run bench -- elbv2`: cloud API calls per
// resource per steady poll (issues 4 and 5). For each size N: a fresh
// kube-apiserver + etcd + seeded moto (reset at start), setpoint's CRDs and a
// ProviderConfig for moto, and the real engine with the real provider in
// this process (a Manager built as the CLI builds it, production sweep
// settings). After all N are Ready and settled, the increase of
// setpoint_cloud_api_calls_total by operation over an idle window, divided
// by N and by the number of poll intervals in the window.
import { CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../apis/aws/v1alpha1/common.ts";
import { LoadBalancerKind } from "../apis/aws/v1alpha1/loadbalancer.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import { type KindDefinition, serviceBudgets } from "../controller/api/index.ts";
import { kubeClients, Manager } from "../controller/manager/index.ts";
import { createLogger } from "../controller/ops/logger.ts";
import {
  SEED_DB_SUBNET_GROUP,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
} from "../localstack/seed.ts";
import { destroySharedClients } from "../providers/aws/shared/clients.ts";
import { AWS } from "../providers/index.ts";
import { installAwsProviderConfig } from "../test/support/aws.ts";
import { startAws } from "./lib/env.ts";
import { boundedAll, createNamespace, createObject, type KindRef, ReadyTracker } from "./lib/kube.ts";
import { CpuMeter, childPidsNamed, cpuSecondsOf, round } from "./lib/proc.ts";
import { byLabel, delta, type Sample, samplesOf, sum } from "./lib/prom.ts";
import { emit, log, machine, mb, percentile, secs, sleep, table } from "./lib/report.ts";

export interface AwsBenchOptions {
  service: "rds" | "elbv2";
  sizes: number[];
  pollMs: number;
  convergingMs: number;
  concurrency: number;
  qps: number;
  applyConcurrency: number;
  settleMs: number;
  windowMs: number;
  readyTimeoutMs: number;
  save: string | undefined;
}

export const AWS_TARGETS = { describePerResourcePerPoll: 0.05, mutatingPerPoll: 0 } as const;

interface ServiceSetup {
  def: KindDefinition;
  /** Operations that take a list of resources in one call, as setpoint uses them. */
  batched: Set<string>;
  spec(): Record<string, unknown>;
  name(i: number): string;
}

const SETUPS: Record<AwsBenchOptions["service"], ServiceSetup> = {
  rds: {
    def: SqlInstanceKind,
    // Filters: db-instance-id with up to 100 identifiers per call.
    batched: new Set(["DescribeDBInstances"]),
    name: (i) => `db-${String(i).padStart(5, "0")}`,
    spec: () => ({
      forProvider: {
        engine: "postgres",
        engineVersion: "16.4",
        instanceClass: "db.t3.micro",
        allocatedStorage: 20,
        storageType: "gp3",
        masterUsername: "bench",
        port: 5432,
        backupRetentionPeriod: 1,
        multiAZ: false,
        publiclyAccessible: false,
        deletionProtection: false,
        dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
        vpcSecurityGroupIds: [SEED_SECURITY_GROUP_ID],
      },
    }),
  },
  elbv2: {
    def: LoadBalancerKind,
    // Names / ResourceArns / ListenerArns lists of up to 20 per call. DescribeListeners is per load
    // balancer (LoadBalancerArn) only until status knows the listener ARNs; in steady state it goes by ARN.
    batched: new Set(["DescribeLoadBalancers", "DescribeTags", "DescribeTargetGroups", "DescribeListeners"]),
    name: (i) => `lb-${String(i).padStart(5, "0")}`,
    spec: () => ({
      forProvider: {
        type: "application",
        scheme: "internal",
        ipAddressType: "ipv4",
        subnets: [...SEED_SUBNET_IDS],
        securityGroups: [SEED_SECURITY_GROUP_ID],
        targetGroups: [{ name: "web", protocol: "HTTP", port: 8080, targetType: "ip", vpcId: SEED_VPC_ID }],
        listeners: [
          { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web" } },
        ],
      },
    }),
  },
};

export async function runAwsBench(o: AwsBenchOptions): Promise<void> {
  const runs = [];
  for (const n of o.sizes) {
    const r = await runSize(n, o);
    runs.push(r);
    printSize(r, o);
  }
  await emit(
    o.service,
    {
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        pollIntervalS: o.pollMs / 1000,
        convergingPollIntervalS: o.convergingMs / 1000,
        concurrency: o.concurrency,
        maxReconcileRate: o.qps,
        cloudBudget: serviceBudgets(AWS.kinds)[o.service],
        // Not passed to the Manager: the engine's shipped defaults (a 5 s tick since 3b5f1bf; 1 s
        // before, which is what the first results ran with). Recorded here so the JSON says which.
        sweep: { intervalMs: 5000, batchSize: 100, source: "engine default" },
        applyConcurrency: o.applyConcurrency,
        settleS: o.settleMs / 1000,
        idleWindowS: o.windowMs / 1000,
      },
      targets: AWS_TARGETS,
      runs,
    },
    o.save,
  );
}

const isMutating = (op: string) => !/^(Describe|List|Get)/.test(op);

type SizeResult = Awaited<ReturnType<typeof runSize>>;

async function runSize(n: number, o: AwsBenchOptions) {
  const setup = SETUPS[o.service];
  const namespace = `bench-${o.service}`;
  const ref: KindRef = { group: GROUP, version: VERSION, plural: setup.def.plural, kind: setup.def.kind };
  log(`${o.service} N=${n}: starting a fresh kube-apiserver + etcd + moto`);
  const aws = await startAws();
  let manager: Manager | undefined;
  try {
    await aws.env.moto.reset();
    await installAwsProviderConfig();
    await createNamespace(aws.kc, namespace);
    manager = new Manager({
      kube: kubeClients(aws.kc),
      kinds: AWS.kinds.filter((k) => k.def.kind === setup.def.kind),
      log: createLogger({ level: "error" }),
      namespace,
      concurrency: o.concurrency,
      rateLimit: { qps: o.qps, burst: o.qps * 2 },
      poll: { steadyMs: o.pollMs, convergingMs: o.convergingMs, minMs: Math.min(5000, o.pollMs) },
    });
    await manager.start();
    const registry = manager.metrics.registry;
    const tracker = new ReadyTracker(aws.kc, ref, namespace);
    await tracker.start();
    const motoPid = findMotoPid();
    const cpu = new CpuMeter({
      bench: process.pid,
      apiserver: aws.pids.apiserver,
      etcd: aws.pids.etcd,
      ...(motoPid ? { moto: motoPid } : {}),
    });

    // ---- apply -> all Ready
    const api = aws.kc.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: n }, (_, i) => setup.name(i));
    log(`${o.service} N=${n}: applying ${n} ${setup.def.kind}s, ${o.applyConcurrency} in flight`);
    const calls0 = await samplesOf(registry);
    cpu.start();
    const t0 = Date.now();
    const progress = setInterval(() => {
      void samplesOf(registry).then((s) =>
        log(
          `  ${tracker.readyCount()}/${n} Ready, ${sum(s, "setpoint_cloud_api_calls_total")} cloud calls, ` +
            `queue ${sum(s, "setpoint_workqueue_depth")}`,
        ),
      );
    }, 15_000);
    let applyMs = 0;
    try {
      await boundedAll(names, o.applyConcurrency, (name) =>
        createObject(api, ref, namespace, name, setup.spec()),
      );
      applyMs = Date.now() - t0;
      log(`${o.service} N=${n}: applied in ${secs(applyMs)}s; waiting for all Ready`);
      const deadline = t0 + o.readyTimeoutMs;
      while (tracker.readyCount() < n) {
        if (Date.now() > deadline)
          throw new Error(`only ${tracker.readyCount()}/${n} Ready after ${o.readyTimeoutMs}ms`);
        await sleep(500);
      }
    } finally {
      clearInterval(progress);
    }
    const allReadyMs = Math.max(...[...tracker.readyAt.values()]) - t0;
    const readyTimes = [...tracker.readyAt.values()].map((at) => at - t0).sort((a, b) => a - b);
    // Not needed any more; a watch left open would only add load to the idle window.
    tracker.stop();
    const createPhase = cpu.read();
    const calls1 = await samplesOf(registry);
    const createCalls = delta(ops(calls1), ops(calls0));
    log(`${o.service} N=${n}: all Ready after ${secs(allReadyMs)}s; settling for ${secs(o.settleMs)}s`);

    // ---- idle window
    await sleep(o.settleMs);
    const before = await samplesOf(registry);
    const benchCpu0 = cpuSecondsOf(process.pid) ?? 0;
    cpu.start();
    log(`${o.service} N=${n}: idle window of ${secs(o.windowMs)}s`);
    await sleep(o.windowMs);
    const after = await samplesOf(registry);
    const idle = cpu.read();
    const benchCpu = (cpuSecondsOf(process.pid) ?? 0) - benchCpu0;
    const cycles = (idle.wallSeconds * 1000) / o.pollMs;
    const idleCalls = delta(ops(after), ops(before));
    const perResourcePerPoll: Record<string, number> = {};
    for (const [op, c] of Object.entries(idleCalls)) perResourcePerPoll[op] = round(c / n / cycles, 4);
    const sumOps = (pred: (op: string) => boolean) =>
      Object.entries(idleCalls)
        .filter(([op]) => pred(op))
        .reduce((a, [, c]) => a + c, 0);
    const describes = sumOps((op) => !isMutating(op));
    const mutating = sumOps(isMutating);
    const batchedDescribes = sumOps((op) => !isMutating(op) && setup.batched.has(op));
    const perResourceDescribes = sumOps((op) => !isMutating(op) && !setup.batched.has(op));
    const reconciles = sum(after, "setpoint_reconcile_total") - sum(before, "setpoint_reconcile_total");
    const statusWrites =
      sum(after, "setpoint_status_writes_total") - sum(before, "setpoint_status_writes_total");
    const sweeps =
      sum(after, "setpoint_poll_sweep_batches_total") - sum(before, "setpoint_poll_sweep_batches_total");
    return {
      n,
      applySeconds: secs(applyMs),
      allReadySeconds: secs(allReadyMs),
      timeToReadySeconds: {
        p50: secs(percentile(readyTimes, 50) ?? 0),
        p99: secs(percentile(readyTimes, 99) ?? 0),
      },
      createPhase: {
        cloudCalls: createCalls,
        cloudCallsPerResource: round(Object.values(createCalls).reduce((a, b) => a + b, 0) / n, 2),
        cpuSeconds: createPhase.cpuSeconds,
      },
      idle: {
        windowSeconds: idle.wallSeconds,
        pollCycles: round(cycles, 2),
        reconciles,
        // "steady" = a batched poll that found nothing to do and skipped the queue (3b5f1bf).
        reconcilesByResult: delta(
          byLabel(after, "setpoint_reconcile_total", "result"),
          byLabel(before, "setpoint_reconcile_total", "result"),
        ),
        pollsPerResourcePerCycle: round(reconciles / n / cycles, 3),
        sweepBatches: sweeps,
        cloudCalls: idleCalls,
        perResourcePerPoll,
        describePerResourcePerPoll: round(describes / n / cycles, 4),
        batchedDescribePerResourcePerPoll: round(batchedDescribes / n / cycles, 4),
        perResourceDescribePerResourcePerPoll: round(perResourceDescribes / n / cycles, 4),
        mutatingCalls: mutating,
        mutatingPerResourcePerPoll: round(mutating / n / cycles, 4),
        statusWrites,
        // A queue that stays deep while idle means polls wait longer than a batched observation stays fresh.
        queueDepthAtStart: sum(before, "setpoint_workqueue_depth"),
        queueDepthAtEnd: sum(after, "setpoint_workqueue_depth"),
        cpuSeconds: { ...idle.cpuSeconds, bench: round(benchCpu, 2) },
      },
      benchProcessRssMB: mb(process.memoryUsage().rss),
      watchRestarts: tracker.restarts,
    };
  } finally {
    await manager?.stop();
    destroySharedClients();
    await aws.stop();
  }
}

function ops(samples: Sample[]): Record<string, number> {
  return byLabel(samples, "setpoint_cloud_api_calls_total", "operation");
}

function findMotoPid(): number | undefined {
  // moto_server is a Python console script started through its shebang, so its comm is the script name.
  return childPidsNamed("moto_server")[0];
}

function printSize(r: SizeResult, o: AwsBenchOptions): void {
  const t = AWS_TARGETS;
  const rows: [string, string, string][] = [
    ["apply (create N CRs)", `${r.applySeconds}s`, `${o.applyConcurrency} creates in flight`],
    [
      "apply -> all Ready",
      `${r.allReadySeconds}s`,
      `cloud budget ${JSON.stringify(serviceBudgets(AWS.kinds)[o.service])} bounds creation`,
    ],
    ["time to Ready p50 / p99", `${r.timeToReadySeconds.p50}s / ${r.timeToReadySeconds.p99}s`, ""],
    [
      "cloud calls per resource to create",
      `${r.createPhase.cloudCallsPerResource}`,
      JSON.stringify(r.createPhase.cloudCalls),
    ],
    ["idle window", `${r.idle.windowSeconds}s`, `${r.idle.pollCycles} polls of ${o.pollMs / 1000}s`],
    ["polls per resource per cycle", `${r.idle.pollsPerResourcePerCycle}`, "1"],
    [
      "describe calls / resource / poll",
      `${r.idle.describePerResourcePerPoll}`,
      `<= ${t.describePerResourcePerPoll} (Crossplane/upjet: >= 1)`,
    ],
    ["  of which batched calls", `${r.idle.batchedDescribePerResourcePerPoll}`, ""],
    ["  of which per-resource calls", `${r.idle.perResourceDescribePerResourcePerPoll}`, ""],
  ];
  for (const [op, v] of Object.entries(r.idle.perResourcePerPoll))
    rows.push([`    ${op}`, `${v}`, `${r.idle.cloudCalls[op]} calls in the window`]);
  rows.push(["mutating calls in the window", `${r.idle.mutatingCalls}`, `${t.mutatingPerPoll}`]);
  rows.push(["status writes in the window", `${r.idle.statusWrites}`, "0"]);
  rows.push([
    "work queue depth, window start / end",
    `${r.idle.queueDepthAtStart} / ${r.idle.queueDepthAtEnd}`,
    "~0 when polls are batched",
  ]);
  console.log(
    table(`${o.service}: ${r.n} ${SETUPS[o.service].def.kind}s (steady poll ${o.pollMs / 1000}s)`, rows),
  );
}
