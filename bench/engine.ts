// `npm run bench -- engine`: the engine at scale (issues 3 and 14). For each size N, a fresh
// kube-apiserver + etcd, the Widget CRD, and the real engine with the in-memory provider in a process
// of its own (test/support/widget-controller.ts, built as the product ships: bench/lib/controller.ts),
// so its RSS and CPU are its own. Measures: memory by phase (synced with no objects, after the apply
// burst, steady) and its peak, apply -> all Ready, CPU and status writes per idle poll cycle, spec
// change -> provider update() latency, and start-up at N (a restarted controller: process start to
// every resource reconciled once). Optionally a heap snapshot when steady, read by constructor and by
// the engine's caches (bytes per cached object).
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { registerCleanup } from "../controlplane/process.ts";
import { installKinds } from "../test/support/engine.ts";
import { WIDGET_GROUP, WidgetKind } from "../test/support/memory-provider.ts";
import { printEngineSize } from "./engine-report.ts";
import {
  type Build,
  bareNodeRss,
  ControllerProcess,
  describeRuntime,
  type Launch,
  type MemoryReading,
  prepareController,
  type Runtime,
} from "./lib/controller.ts";
import { startKube } from "./lib/env.ts";
import { summariseSnapshot } from "./lib/heap-summary.ts";
import {
  boundedAll,
  createNamespace,
  createObject,
  type KindRef,
  mergePatch,
  ReadyTracker,
} from "./lib/kube.ts";
import { CpuMeter, MemorySampler, memoryOf, round } from "./lib/proc.ts";
import { byLabel, delta, scrape, sum } from "./lib/prom.ts";
import { emit, log, machine, mb, percentile, secs, sleep } from "./lib/report.ts";

export interface EngineOptions {
  sizes: number[];
  /** How the controller is built, and the V8 flags it runs with. */
  build: Build;
  runtime: Runtime;
  /** The controller's steady poll interval (WIDGET_POLL_MS). */
  pollMs: number;
  /** The controller's converging poll interval. */
  convergingMs: number;
  /** Reconcile workers and reconciles started per second (the CLI's --concurrency, --max-reconcile-rate). */
  concurrency: number;
  qps: number;
  /** Creates in flight while applying. */
  applyConcurrency: number;
  /** Spec changes sent while steady, and how many per second. */
  patches: number;
  patchRate: number;
  /** Wait after all Ready before the idle window, and the idle window's length. */
  settleMs: number;
  windowMs: number;
  readyTimeoutMs: number;
  /** Restart the controller at the end and time start-up at N. */
  restart: boolean;
  heapSnapshot: boolean;
  save: string | undefined;
}

const WIDGET: KindRef = {
  group: WIDGET_GROUP,
  version: WidgetKind.version,
  plural: WidgetKind.plural,
  kind: WidgetKind.kind,
};
const NAMESPACE = "bench-engine";

export const ENGINE_TARGETS = {
  rssPeakMBAt10k: 250,
  rssSteadyMBAt10k: 200,
  specToUpdateP99Ms: 1000,
  statusWritesPerIdleCycle: 0,
} as const;

export async function runEngine(o: EngineOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "setpoint-bench-engine-"));
  const runs = [];
  try {
    const t0 = Date.now();
    const launch = await prepareController("widget", o.build, dir);
    log(`engine: the Widget controller prepared (${o.build}) in ${secs(Date.now() - t0)}s`);
    const bareNodeMB = await bareNodeRss(o.runtime);
    for (const n of o.sizes) {
      const r = await runSize(n, o, launch, dir);
      runs.push({ ...r, bareNodeMB });
      printEngineSize({ ...r, bareNodeMB }, o);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await emit(
    "engine",
    {
      date: new Date().toISOString(),
      machine: machine(),
      settings: settingsOf(o),
      targets: ENGINE_TARGETS,
      runs,
    },
    o.save,
  );
}

function settingsOf(o: EngineOptions) {
  return {
    build: o.build,
    runtime: describeRuntime(o.runtime),
    pollIntervalS: o.pollMs / 1000,
    convergingPollIntervalS: o.convergingMs / 1000,
    concurrency: o.concurrency,
    maxReconcileRate: o.qps,
    applyConcurrency: o.applyConcurrency,
    patches: o.patches,
    patchRatePerS: o.patchRate,
    settleS: o.settleMs / 1000,
    idleWindowS: o.windowMs / 1000,
  };
}

export type EngineSizeResult = Awaited<ReturnType<typeof runSize>> & { bareNodeMB: number };

async function runSize(n: number, o: EngineOptions, launch: Launch, dir: string) {
  log(`engine N=${n}: starting a fresh kube-apiserver + etcd`);
  const kube = await startKube();
  const snapDir = mkdtempSync(join(dir, `snap-${n}-`));
  const controllers: ControllerProcess[] = [];
  const start = () => {
    const c = ControllerProcess.start(launch, {
      program: "widget",
      runtime: o.runtime,
      extraFlags: o.heapSnapshot ? ["--heapsnapshot-signal=SIGUSR2"] : [],
      kubeconfig: kube.kubeconfigPath,
      cwd: snapDir,
      env: {
        WIDGET_NAMESPACE: NAMESPACE,
        WIDGET_POLL_MS: String(o.pollMs),
        WIDGET_CONVERGING_MS: String(o.convergingMs),
        WIDGET_CONCURRENCY: String(o.concurrency),
        WIDGET_QPS: String(o.qps),
        WIDGET_LOG_LEVEL: "warn",
      },
    });
    return c.then((ctl) => {
      controllers.push(ctl);
      return ctl;
    });
  };
  const killAll = () => {
    for (const c of controllers) c.process.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const unregister = registerCleanup(async () => {
    for (const c of controllers) await c.stop();
  });
  try {
    await installKinds(kube.kc, [WidgetKind]);
    await createNamespace(kube.kc, NAMESPACE);

    const ctl = await start();
    const readyMs = await ctl.waitReady(60_000);
    await sleep(1000);
    const synced = await ctl.memory();
    const memory = new MemorySampler(ctl.pid, 250);

    const tracker = new ReadyTracker(kube.kc, WIDGET, NAMESPACE);
    await tracker.start();
    const cpu = new CpuMeter({ controller: ctl.pid, apiserver: kube.pids.apiserver, etcd: kube.pids.etcd });

    // ---- apply -> all Ready
    const api = kube.kc.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: n }, (_, i) => `w-${String(i).padStart(5, "0")}`);
    const sizes = new Map(names.map((name, i) => [name, (i % 1000) + 1]));
    log(`engine N=${n}: applying ${n} Widgets, ${o.applyConcurrency} in flight`);
    cpu.start();
    const t0 = Date.now();
    const progress = setInterval(
      () =>
        log(`  ${tracker.readyAt.size} seen, ${tracker.readyCount()} Ready, ${mb(memory.lastRss)} MB RSS`),
      10_000,
    );
    let applyMs = 0;
    try {
      await boundedAll(names, o.applyConcurrency, (name) =>
        createObject(api, WIDGET, NAMESPACE, name, { forProvider: { size: sizes.get(name), color: "blue" } }),
      );
      applyMs = Date.now() - t0;
      log(`engine N=${n}: applied in ${secs(applyMs)}s; waiting for all Ready`);
      const deadline = t0 + o.readyTimeoutMs;
      while (tracker.readyCount() < n) {
        ctl.failIfExited();
        if (Date.now() > deadline)
          throw new Error(`only ${tracker.readyCount()}/${n} Ready after ${o.readyTimeoutMs}ms`);
        await sleep(250);
      }
    } finally {
      clearInterval(progress);
    }
    const allReadyMs = Math.max(...[...tracker.readyAt.values()]) - t0;
    const applyPhase = cpu.read();
    const burst = await ctl.memory();
    const readyTimes = [...tracker.readyAt.values()].map((at) => at - t0).sort((a, b) => a - b);
    // Not needed any more; a watch left open would only add load to the idle window.
    tracker.stop();
    log(`engine N=${n}: all Ready after ${secs(allReadyMs)}s; settling for ${secs(o.settleMs)}s`);

    // ---- idle: nothing changes; every resource has had at least one steady poll before the window
    await sleep(o.settleMs);
    ctl.failIfExited();
    const before = await scrape(ctl.metricsAddress);
    cpu.start();
    log(`engine N=${n}: idle window of ${secs(o.windowMs)}s`);
    await sleep(o.windowMs);
    ctl.failIfExited();
    const after = await scrape(ctl.metricsAddress);
    const idle = cpu.read();
    const steady = await ctl.memory();
    const cycles = (idle.wallSeconds * 1000) / o.pollMs;
    const counter = (name: string) => sum(after, name) - sum(before, name);
    const statusWrites = counter("setpoint_status_writes_total");
    const reconciles = counter("setpoint_reconcile_total");

    // ---- spec change -> update(): patches at a steady rate while steady
    const latency = await specChanges(ctl, api, names, sizes, o);
    memory.stop();

    const heap = o.heapSnapshot ? await snapshot(ctl, snapDir, n) : undefined;

    // ---- start-up at N: a new process, from spawn to every resource reconciled once
    let startup: Awaited<ReturnType<typeof restart>> | undefined;
    if (o.restart) {
      await ctl.stop();
      startup = await restart(start, n, o);
    }
    const apiMem = memoryOf(kube.pids.apiserver);
    const etcdMem = memoryOf(kube.pids.etcd);
    return {
      n,
      applySeconds: secs(applyMs),
      applyPerSecond: round(n / (applyMs / 1000), 1),
      allReadySeconds: secs(allReadyMs),
      timeToReadySeconds: {
        p50: secs(percentile(readyTimes, 50) ?? 0),
        p99: secs(percentile(readyTimes, 99) ?? 0),
      },
      applyPhaseCpuSeconds: applyPhase.cpuSeconds,
      readySeconds: secs(readyMs),
      memoryMB: { synced, burst, steady, peakSampledRss: mb(memory.peakRss), peakVmHWM: mb(memory.hwm) },
      heap,
      idle: {
        windowSeconds: idle.wallSeconds,
        pollCycles: round(cycles, 2),
        reconciles,
        // "steady" = a batched poll that found nothing to do and skipped the work queue.
        reconcilesByResult: delta(
          byLabel(after, "setpoint_reconcile_total", "result"),
          byLabel(before, "setpoint_reconcile_total", "result"),
        ),
        pollsPerResourcePerCycle: round(reconciles / n / cycles, 3),
        cpuSeconds: idle.cpuSeconds,
        controllerCpuSecondsPerCycle: round((idle.cpuSeconds.controller ?? 0) / cycles, 3),
        controllerCpuMsPerPoll:
          reconciles > 0 ? round(((idle.cpuSeconds.controller ?? 0) * 1000) / reconciles, 3) : undefined,
        statusWrites,
        statusWritesPerCycle: round(statusWrites / cycles, 2),
        queueDepthAtStart: sum(before, "setpoint_workqueue_depth"),
        queueDepthAtEnd: sum(after, "setpoint_workqueue_depth"),
      },
      specToUpdateMs: latency,
      startup,
      apiserverRssMB: apiMem ? mb(apiMem.rss) : undefined,
      etcdRssMB: etcdMem ? mb(etcdMem.rss) : undefined,
      watchRestarts: tracker.restarts,
    };
  } finally {
    for (const c of controllers) await c.stop();
    unregister();
    process.removeListener("exit", killAll);
    await kube.stop();
  }
}

async function specChanges(
  ctl: ControllerProcess,
  api: CustomObjectsApi,
  names: string[],
  sizes: Map<string, number>,
  o: EngineOptions,
) {
  const picks = shuffle([...names]).slice(0, Math.min(o.patches, names.length));
  const sent = new Map<string, { sentAt: number; ackAt: number }>();
  const eventsBefore = ctl.events.length;
  log(`engine: patching the spec of ${picks.length} Widgets at ${o.patchRate}/s`);
  const tp = Date.now();
  await Promise.all(
    picks.map(async (name, i) => {
      await sleep(tp + (i * 1000) / o.patchRate - Date.now());
      const size = ((sizes.get(name) ?? 1) % 1000) + 1;
      const sentAt = Date.now();
      await mergePatch(api, WIDGET, NAMESPACE, name, { spec: { forProvider: { size } } });
      sent.set(name, { sentAt, ackAt: Date.now() });
    }),
  );
  const arrived = () => {
    const first = new Map<string, number>();
    for (const e of ctl.events.slice(eventsBefore)) {
      if (e.event !== "update") continue;
      const name = String(e.name);
      if (!first.has(name)) first.set(name, Number(e.at));
    }
    return first;
  };
  const waitUntil = Date.now() + 15_000;
  while (Date.now() < waitUntil && arrived().size < picks.length) await sleep(200);
  const updates = arrived();
  const latencies: number[] = [];
  let missing = 0;
  for (const name of picks) {
    const s = sent.get(name);
    const at = updates.get(`${NAMESPACE}-${name}`);
    if (!s || at === undefined || at < s.sentAt) missing++;
    else latencies.push(at - s.sentAt);
  }
  latencies.sort((a, b) => a - b);
  return {
    sent: picks.length,
    arrived: latencies.length,
    neverArrived: missing,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1),
  };
}

/** A heap snapshot of the steady controller (SIGUSR2), read in a child with room for it. */
async function snapshot(ctl: ControllerProcess, dir: string, n: number) {
  const before = new Set(readdirSync(dir));
  log(`engine N=${n}: heap snapshot`);
  ctl.process.kill("SIGUSR2");
  let file: string | undefined;
  for (const deadline = Date.now() + 120_000; !file && Date.now() < deadline; await sleep(500)) {
    file = readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
  }
  if (!file) return undefined;
  // Written when its size stops changing.
  await sleep(5000);
  return summariseSnapshot(join(dir, file), n);
}

async function restart(start: () => Promise<ControllerProcess>, n: number, o: EngineOptions) {
  log(`engine N=${n}: restarting the controller, timing start-up`);
  const ctl = await start();
  const readyMs = await ctl.waitReady(o.readyTimeoutMs);
  let allPolledMs: number | undefined;
  for (const deadline = Date.now() + o.readyTimeoutMs; Date.now() < deadline; await sleep(500)) {
    ctl.failIfExited();
    const s = await scrape(ctl.metricsAddress).catch(() => []);
    if (sum(s, "setpoint_reconcile_total") >= n) {
      allPolledMs = Date.now() - ctl.startedAt;
      break;
    }
  }
  const mem: MemoryReading = await ctl.memory();
  await ctl.stop();
  return {
    processStartToCachesSyncedSeconds: secs(readyMs),
    processStartToAllPolledSeconds: allPolledMs === undefined ? undefined : secs(allPolledMs),
    boundByRate: secs((n / o.qps) * 1000),
    memoryMB: mem,
  };
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
