// The engine benchmark's table for one size, next to the targets of issues 3 and 14.
import { ENGINE_TARGETS, type EngineOptions, type EngineSizeResult } from "./engine.ts";
import { describeRuntime, type MemoryReading } from "./lib/controller.ts";
import { printHeapSummary } from "./lib/heap-summary.ts";
import { table } from "./lib/report.ts";

export function memoryCell(m: MemoryReading | undefined): string {
  if (!m) return "-";
  return `${m.rssMB} MB (heap ${m.heapUsedMB}/${m.heapTotalMB}, ext ${m.externalMB})`;
}

export function printEngineSize(r: EngineSizeResult, o: EngineOptions): void {
  const t = ENGINE_TARGETS;
  const c = r.applyPhaseCpuSeconds;
  const ic = r.idle.cpuSeconds;
  const m = r.memoryMB;
  const big = r.n >= 10_000;
  const rows: [string, string, string][] = [
    ["bare node (same flags)", `${r.bareNodeMB} MB`, "the floor: the node binary and V8"],
    ["RSS, caches synced, 0 Widgets", memoryCell(m.synced), `after ${r.readySeconds}s; heap used/total`],
    ["RSS after the apply burst", memoryCell(m.burst), "when the last Widget turned Ready"],
    [
      "RSS when steady",
      memoryCell(m.steady),
      big ? `<= ${t.rssSteadyMBAt10k} MB at 10,000` : "after settle + one idle window",
    ],
    [
      "peak RSS (VmHWM)",
      `${m.peakVmHWM} MB`,
      big ? `<= ${t.rssPeakMBAt10k} MB at 10,000 (upjet provider-aws: 1.1 GB avg, 3 GB peak)` : "",
    ],
  ];
  if (r.heap?.cachedBytesPerObject !== undefined)
    rows.push([
      "cached bytes per Widget",
      `${r.heap.cachedBytesPerObject} B`,
      "Reflector store / N (heap snapshot)",
    ]);
  if (r.startup) {
    rows.push([
      "start-up: caches synced / all polled",
      `${r.startup.processStartToCachesSyncedSeconds}s / ${r.startup.processStartToAllPolledSeconds ?? "never"}s`,
      `from process start; every resource reconciled once is bound by N / rate = ${r.startup.boundByRate}s`,
    ]);
    rows.push([
      "  RSS when all polled (peak)",
      `${r.startup.memoryMB.rssMB} MB (${r.startup.memoryMB.peakMB})`,
      "",
    ]);
  }
  rows.push(
    [
      "apply (create N CRs)",
      `${r.applySeconds}s (${r.applyPerSecond}/s)`,
      `${o.applyConcurrency} creates in flight`,
    ],
    ["apply -> all Ready", `${r.allReadySeconds}s`, `lower bound 2N/${o.qps} s (two reconciles each)`],
    ["time to Ready p50 / p99", `${r.timeToReadySeconds.p50}s / ${r.timeToReadySeconds.p99}s`, ""],
    [
      "CPU s during apply->Ready",
      `ctl ${c.controller} / api ${c.apiserver} / etcd ${c.etcd}`,
      "controller / apiserver / etcd",
    ],
    [
      "CPU s per steady poll cycle",
      `${r.idle.controllerCpuSecondsPerCycle}`,
      `${r.idle.controllerCpuMsPerPoll} ms per poll (api ${ic.apiserver}s, etcd ${ic.etcd}s in the window)`,
    ],
    [
      "polls per resource per cycle",
      `${r.idle.pollsPerResourcePerCycle}`,
      "1 (a 5 s sweep tick adds ~2.5 s per cycle)",
    ],
    ["status writes per idle cycle", `${r.idle.statusWritesPerCycle}`, `${t.statusWritesPerIdleCycle}`],
    [
      "spec -> update() p50 / p99",
      `${r.specToUpdateMs.p50} / ${r.specToUpdateMs.p99} ms`,
      `p99 < ${t.specToUpdateP99Ms} ms; ${r.specToUpdateMs.neverArrived}/${r.specToUpdateMs.sent} never arrived`,
    ],
    ["kube-apiserver / etcd RSS", `${r.apiserverRssMB} / ${r.etcdRssMB} MB`, "at the end"],
  );
  console.log(
    table(
      `engine: ${r.n} Widgets (${o.build}, runtime: ${describeRuntime(o.runtime)}; poll ${o.pollMs / 1000}s, concurrency ${o.concurrency}, rate ${o.qps}/s)`,
      rows,
    ),
  );
  if (r.heap) console.log(printHeapSummary(r.heap));
}
