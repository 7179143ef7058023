// Prometheus metrics for the engine. One registry per manager (not the
// global one), so tests and benchmarks can run several managers in one
// process and read exact counts.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { ReconcileMetrics } from "../reconciler/managed.ts";

export class Metrics implements ReconcileMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: "setpoint_reconcile_total",
    help: "Reconciles by kind and result: success, error, terminal, retry-after (the provider asked to look again after a delay), or steady (a batched poll that found nothing to do and needed no reconcile).",
    labelNames: ["kind", "result"] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "setpoint_reconcile_duration_seconds",
    help: "Time one reconcile took, cloud calls included.",
    labelNames: ["kind"] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "setpoint_workqueue_depth",
    help: "Keys waiting for a worker.",
    registers: [this.registry],
  });
  readonly queueLatency = new Histogram({
    name: "setpoint_workqueue_latency_seconds",
    help: "Time a key waited in the queue before a worker took it.",
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: "setpoint_workqueue_retries_total",
    help: "Keys requeued with backoff after a transient error.",
    registers: [this.registry],
  });
  readonly cloudCalls = new Counter({
    name: "setpoint_cloud_api_calls_total",
    help: "Cloud API calls by service and operation.",
    labelNames: ["service", "operation"] as const,
    registers: [this.registry],
  });
  readonly driftDetectedTotal = new Counter({
    name: "setpoint_drift_detected_total",
    help: "Times drift was detected, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly driftCorrectedTotal = new Counter({
    name: "setpoint_drift_corrected_total",
    help: "Drift corrections made, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly recreationsTotal = new Counter({
    name: "setpoint_external_resources_recreated_total",
    help: "Cloud resources recreated after an out-of-band delete, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly timeToCorrect = new Histogram({
    name: "setpoint_drift_time_to_correct_seconds",
    help: "Time from detecting drift to correcting it.",
    labelNames: ["kind"] as const,
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly statusWrites = new Counter({
    name: "setpoint_status_writes_total",
    help: "Status subresource writes, by kind. Zero while nothing changes.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly sweeps = new Counter({
    name: "setpoint_poll_sweep_batches_total",
    help: "Batched observations (observeMany calls) made by the poll sweeper, by kind and result.",
    labelNames: ["kind", "result"] as const,
    registers: [this.registry],
  });
  readonly managed = new Gauge({
    name: "setpoint_managed_resources",
    help: "Managed resources known to the controller, by kind.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: "setpoint_leader",
    help: "1 while this replica holds the leader Lease.",
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: "setpoint_" });
  }

  driftDetected(kind: string): void {
    this.driftDetectedTotal.inc({ kind });
  }

  driftCorrected(kind: string, secondsToCorrect: number | undefined): void {
    this.driftCorrectedTotal.inc({ kind });
    if (secondsToCorrect !== undefined) this.timeToCorrect.observe({ kind }, secondsToCorrect);
  }

  recreated(kind: string): void {
    this.recreationsTotal.inc({ kind });
  }

  statusWrite(kind: string): void {
    this.statusWrites.inc({ kind });
  }

  /** Sum of a counter's values, optionally filtered by labels; for benchmarks and tests. */
  async total(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = await this.registry.getSingleMetric(name)?.get();
    if (!metric) return 0;
    return metric.values
      .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
      .reduce((sum, v) => sum + v.value, 0);
  }
}
