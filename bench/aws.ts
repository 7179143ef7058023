// `npm run bench -- rds`, `elbv2`, `ec2` (SecurityGroups) and `dbsubnetgroup`: cloud API calls per
// resource per steady poll (issues 4, 5 and 12) and the controller's memory (issue 14). For each size
// N: a fresh kube-apiserver + etcd + seeded moto (reset at start), setpoint's CRDs and a ProviderConfig
// for moto, and `setpoint run` as a process of its own, built as it ships (bench/lib/controller.ts),
// scoped to the benchmark's namespace, with production sweep settings and cloud budget. Memory is read
// by phase (bare node, after imports, caches synced, after the apply burst, steady). After all N are
// Ready and settled, the increase of setpoint_cloud_api_calls_total by operation over an idle window,
// divided by N and by the number of poll intervals in the window; and the apiserver's own count of
// Secret reads in that window.
// Over 400 lines because the four AWS benchmarks share one measuring sequence (start, apply, settle,
// idle window, report); what differs per kind is the SETUPS table.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../apis/aws/v1alpha1/common.ts";
import { DBSubnetGroupKind } from "../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { LoadBalancerKind } from "../apis/aws/v1alpha1/loadbalancer.ts";
import { SecurityGroupKind } from "../apis/aws/v1alpha1/securitygroup.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import { type KindDefinition, serviceBudgets } from "../controller/api/index.ts";
import { kubeClientOf } from "../controller/kube/client.ts";
import {
  SEED_DB_SUBNET_GROUP,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
} from "../localstack/seed.ts";
import { AWS } from "../providers/index.ts";
import { installAwsProviderConfig } from "../test/support/aws.ts";
import { memoryCell } from "./engine-report.ts";
import {
  type Build,
  bareNodeRss,
  ControllerProcess,
  describeRuntime,
  importedRss,
  type Launch,
  prepareController,
  type Runtime,
} from "./lib/controller.ts";
import { type BenchAws, startAws } from "./lib/env.ts";
import { boundedAll, createNamespace, createObject, type KindRef, ReadyTracker } from "./lib/kube.ts";
import { CpuMeter, childPidsNamed, MemorySampler, round } from "./lib/proc.ts";
import { byLabel, delta, parseProm, type Sample, scrape, sum } from "./lib/prom.ts";
import { emit, log, machine, mb, percentile, secs, sleep, table } from "./lib/report.ts";

export const AWS_BENCHES = ["rds", "elbv2", "ec2", "dbsubnetgroup"] as const;

export interface AwsBenchOptions {
  /** The benchmark: one kind, named after its service (or the kind, when two kinds share one). */
  service: (typeof AWS_BENCHES)[number];
  sizes: number[];
  build: Build;
  runtime: Runtime;
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

export const AWS_TARGETS = {
  describePerResourcePerPoll: 0.05,
  mutatingPerPoll: 0,
  rssMBAt100: 100,
} as const;

/** Peers measured side by side with setpoint (issue 14): 100 RDS instances, 20 s poll, one counting proxy. */
export const PEERS = [
  {
    name: "Crossplane provider-aws v0.58.0 (all of its ~200 controllers)",
    describesPerResourcePerPoll: 1.0,
    rssMB: 193,
  },
  { name: "ACK rds-controller v1.11.1", describesPerResourcePerPoll: 3.777, rssMB: 65 },
] as const;

interface ServiceSetup {
  def: KindDefinition;
  /** The cloud-budget service its calls count against. */
  budget: string;
  /** Operations that take a list of resources in one call, as setpoint uses them. */
  batched: Set<string>;
  spec(): Record<string, unknown>;
  name(i: number): string;
}

const SETUPS: Record<AwsBenchOptions["service"], ServiceSetup> = {
  rds: {
    def: SqlInstanceKind,
    budget: "rds",
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
    budget: "elbv2",
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
  ec2: {
    def: SecurityGroupKind,
    budget: "ec2",
    // Filters vpc-id and group-name, with up to 100 names per call; the answer carries rules and tags.
    batched: new Set(["DescribeSecurityGroups"]),
    name: (i) => `sg-bench-${String(i).padStart(5, "0")}`,
    spec: () => ({
      forProvider: {
        vpcId: SEED_VPC_ID,
        description: "bench",
        ingress: [{ protocol: "tcp", fromPort: 5432, cidrBlocks: ["10.42.0.0/16"] }],
      },
    }),
  },
  dbsubnetgroup: {
    def: DBSubnetGroupKind,
    budget: "rds",
    // No batched form by name: pages of 100 through the account's groups. Tags are one
    // ListTagsForResource per group, as the answer carries none.
    batched: new Set(["DescribeDBSubnetGroups"]),
    name: (i) => `net-${String(i).padStart(5, "0")}`,
    spec: () => ({ forProvider: { description: "bench", subnetIds: [...SEED_SUBNET_IDS] } }),
  },
};

export async function runAwsBench(o: AwsBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `setpoint-bench-${o.service}-`));
  const runs = [];
  try {
    const t0 = Date.now();
    const launch = await prepareController("setpoint-run", o.build, dir);
    log(`${o.service}: setpoint run prepared (${o.build}) in ${secs(Date.now() - t0)}s`);
    const bareNodeMB = await bareNodeRss(o.runtime);
    const afterImportsMB = await importedRss(launch, o.runtime);
    for (const n of o.sizes) {
      const r = { ...(await runSize(n, o, launch)), bareNodeMB, afterImportsMB };
      runs.push(r);
      printSize(r, o);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await emit(
    o.service,
    {
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        build: o.build,
        runtime: describeRuntime(o.runtime),
        pollIntervalS: o.pollMs / 1000,
        convergingPollIntervalS: o.convergingMs / 1000,
        concurrency: o.concurrency,
        maxReconcileRate: o.qps,
        cloudBudget: serviceBudgets(AWS.kinds)[SETUPS[o.service].budget],
        // Not set by the benchmark: the engine's shipped defaults, recorded so the JSON says which.
        sweep: { intervalMs: 5000, batchSize: 100, source: "engine default" },
        applyConcurrency: o.applyConcurrency,
        settleS: o.settleMs / 1000,
        idleWindowS: o.windowMs / 1000,
      },
      targets: AWS_TARGETS,
      peers: PEERS,
      runs,
    },
    o.save,
  );
}

const isMutating = (op: string) => !/^(Describe|List|Get)/.test(op);

type SizeResult = Awaited<ReturnType<typeof runSize>> & {
  bareNodeMB: number;
  afterImportsMB: number | undefined;
};

/** The apiserver's own count of GETs on Secrets (apiserver_request_total), from its /metrics. */
async function secretGets(aws: BenchAws): Promise<number> {
  const text = await kubeClientOf(aws.kc).request<string>("GET", "/metrics", { accept: "text/plain" });
  return sum(parseProm(String(text)), "apiserver_request_total", { resource: "secrets", verb: "GET" });
}

async function runSize(n: number, o: AwsBenchOptions, launch: Launch) {
  const setup = SETUPS[o.service];
  const namespace = `bench-${o.service}`;
  const ref: KindRef = { group: GROUP, version: VERSION, plural: setup.def.plural, kind: setup.def.kind };
  log(`${o.service} N=${n}: starting a fresh kube-apiserver + etcd + moto`);
  const aws = await startAws();
  let ctl: ControllerProcess | undefined;
  const killOnExit = () => ctl?.process.kill("SIGKILL");
  process.once("exit", killOnExit);
  try {
    await aws.env.moto.reset();
    await installAwsProviderConfig();
    await createNamespace(aws.kc, namespace);
    ctl = await ControllerProcess.start(launch, {
      program: "setpoint-run",
      runtime: o.runtime,
      kubeconfig: aws.kubeconfigPath,
      env: {
        SETPOINT_NAMESPACE: namespace,
        SETPOINT_POLL_INTERVAL: `${o.pollMs / 1000}s`,
        SETPOINT_CONVERGING_POLL_INTERVAL: `${o.convergingMs / 1000}s`,
        SETPOINT_MIN_POLL_INTERVAL: `${Math.min(5000, o.pollMs) / 1000}s`,
        SETPOINT_CONCURRENCY: String(o.concurrency),
        SETPOINT_MAX_RECONCILE_RATE: String(o.qps),
        SETPOINT_LOG_LEVEL: "warn",
      },
    });
    const readyMs = await ctl.waitReady();
    await sleep(1000);
    const synced = await ctl.memory();
    const memory = new MemorySampler(ctl.pid, 250);
    const tracker = new ReadyTracker(aws.kc, ref, namespace);
    await tracker.start();
    const motoPid = findMotoPid();
    const cpu = new CpuMeter({
      controller: ctl.pid,
      apiserver: aws.pids.apiserver,
      etcd: aws.pids.etcd,
      ...(motoPid ? { moto: motoPid } : {}),
    });

    // ---- apply -> all Ready
    const api = aws.kc.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: n }, (_, i) => setup.name(i));
    log(`${o.service} N=${n}: applying ${n} ${setup.def.kind}s, ${o.applyConcurrency} in flight`);
    const calls0 = await scrape(ctl.metricsAddress);
    cpu.start();
    const t0 = Date.now();
    const progress = setInterval(() => {
      void scrape(ctl?.metricsAddress ?? "").then(
        (s) =>
          log(
            `  ${tracker.readyCount()}/${n} Ready, ${sum(s, "setpoint_cloud_api_calls_total")} cloud calls, ` +
              `queue ${sum(s, "setpoint_workqueue_depth")}, ${mb(memory.lastRss)} MB RSS`,
          ),
        () => {},
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
        ctl.failIfExited();
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
    const burst = await ctl.memory();
    const createPhase = cpu.read();
    const calls1 = await scrape(ctl.metricsAddress);
    const createCalls = delta(ops(calls1), ops(calls0));
    log(`${o.service} N=${n}: all Ready after ${secs(allReadyMs)}s; settling for ${secs(o.settleMs)}s`);

    // ---- idle window
    await sleep(o.settleMs);
    const before = await scrape(ctl.metricsAddress);
    const gets0 = await secretGets(aws);
    cpu.start();
    log(`${o.service} N=${n}: idle window of ${secs(o.windowMs)}s`);
    await sleep(o.windowMs);
    ctl.failIfExited();
    const after = await scrape(ctl.metricsAddress);
    const secretReads = (await secretGets(aws)) - gets0;
    const idle = cpu.read();
    const steady = await ctl.memory();
    memory.stop();
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
    const counter = (name: string) => sum(after, name) - sum(before, name);
    const reconciles = counter("setpoint_reconcile_total");
    return {
      n,
      readySeconds: secs(readyMs),
      memoryMB: { synced, burst, steady, peakSampledRss: mb(memory.peakRss), peakVmHWM: mb(memory.hwm) },
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
        sweepBatches: counter("setpoint_poll_sweep_batches_total"),
        cloudCalls: idleCalls,
        perResourcePerPoll,
        describePerResourcePerPoll: round(describes / n / cycles, 4),
        batchedDescribePerResourcePerPoll: round(batchedDescribes / n / cycles, 4),
        perResourceDescribePerResourcePerPoll: round(perResourceDescribes / n / cycles, 4),
        mutatingCalls: mutating,
        mutatingPerResourcePerPoll: round(mutating / n / cycles, 4),
        statusWrites: counter("setpoint_status_writes_total"),
        // All of the apiserver's Secret GETs in the window (the benchmark itself reads none).
        secretReads,
        secretReadsPerResourcePerPoll: round(secretReads / n / cycles, 3),
        queueDepthAtStart: sum(before, "setpoint_workqueue_depth"),
        queueDepthAtEnd: sum(after, "setpoint_workqueue_depth"),
        cpuSeconds: idle.cpuSeconds,
      },
      watchRestarts: tracker.restarts,
    };
  } finally {
    await ctl?.stop();
    process.removeListener("exit", killOnExit);
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
  const m = r.memoryMB;
  const rows: [string, string, string][] = [
    ["bare node (same flags)", `${r.bareNodeMB} MB`, "the floor: the node binary and V8"],
    ["after imports", `${r.afterImportsMB ?? "-"} MB`, "the program loaded, nothing started"],
    ["RSS, caches synced, 0 resources", memoryCell(m.synced), `after ${r.readySeconds}s; heap used/total`],
    ["RSS after the apply burst", memoryCell(m.burst), "when the last one turned Ready"],
    [
      "RSS when steady",
      memoryCell(m.steady),
      r.n === 100
        ? `<= ${t.rssMBAt100} MB at 100 (${PEERS.map((p) => `${p.name.split(" (")[0]}: ${p.rssMB} MB`).join(", ")})`
        : "after settle + the idle window",
    ],
    ["peak RSS (VmHWM)", `${m.peakVmHWM} MB`, ""],
    ["apply (create N CRs)", `${r.applySeconds}s`, `${o.applyConcurrency} creates in flight`],
    [
      "apply -> all Ready",
      `${r.allReadySeconds}s`,
      `cloud budget ${JSON.stringify(serviceBudgets(AWS.kinds)[SETUPS[o.service].budget])} bounds creation`,
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
      `<= ${t.describePerResourcePerPoll} (${PEERS.map((p) => `${p.name.split(" (")[0]}: ${p.describesPerResourcePerPoll}`).join(", ")})`,
    ],
    ["  of which batched calls", `${r.idle.batchedDescribePerResourcePerPoll}`, ""],
    ["  of which per-resource calls", `${r.idle.perResourceDescribePerResourcePerPoll}`, ""],
  ];
  for (const [op, v] of Object.entries(r.idle.perResourcePerPoll))
    rows.push([`    ${op}`, `${v}`, `${r.idle.cloudCalls[op]} calls in the window`]);
  rows.push(["mutating calls in the window", `${r.idle.mutatingCalls}`, `${t.mutatingPerPoll}`]);
  rows.push(["status writes in the window", `${r.idle.statusWrites}`, "0"]);
  rows.push([
    "Secret GETs / resource / poll",
    `${r.idle.secretReadsPerResourcePerPoll}`,
    `${r.idle.secretReads} in the window (apiserver_request_total)`,
  ]);
  rows.push([
    "work queue depth, window start / end",
    `${r.idle.queueDepthAtStart} / ${r.idle.queueDepthAtEnd}`,
    "~0 when polls are batched",
  ]);
  console.log(
    table(
      `${o.service}: ${r.n} ${SETUPS[o.service].def.kind}s (${o.build}, runtime: ${describeRuntime(o.runtime)}; steady poll ${o.pollMs / 1000}s)`,
      rows,
    ),
  );
}
