// A controller process for the Widget test kind: the real engine with the
// in-memory provider, in a process of its own, so that tests can kill it
// (leader handover) and benchmarks can measure its RSS and CPU alone.
//
// Configured by environment variables:
//   KUBECONFIG                       the API server
//   WIDGET_NAMESPACE                 scope (all namespaces when empty)
//   WIDGET_METRICS_ADDRESS           /metrics address, default 127.0.0.1:0
//   WIDGET_LEADER_ELECT=true         compete for the Lease WIDGET_LEASE_NAME in WIDGET_LEASE_NAMESPACE
//   WIDGET_POLL_MS / WIDGET_CONVERGING_MS / WIDGET_CONCURRENCY / WIDGET_QPS
// It prints one JSON line per event on stdout: {"event":"ready","metrics":"host:port"},
// {"event":"leading"}, {"event":"update","name":...,"at":ms}.
import { registerKind } from "../../controller/api/index.ts";
import { loadKubeClient } from "../../controller/kube/client.ts";
import { kubeClients, Manager } from "../../controller/manager/index.ts";
import { createLogger } from "../../controller/ops/logger.ts";
import { MemoryProvider, WidgetKind } from "./memory-provider.ts";

const env = process.env;
const emit = (obj: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(obj)}\n`);

// The controller's own client, as `setpoint run` builds it (no client-node).
const kubeConfig = await loadKubeClient({ path: env.KUBECONFIG ?? "" });
const provider = new MemoryProvider();
const updates = provider.cloud.updates;
const push = updates.push.bind(updates);
updates.push = (...items) => {
  for (const u of items) emit({ event: "update", name: u.name, at: u.at });
  // Nobody reads the list in this process; keeping it would only grow memory.
  return push();
};

const steadyMs = Number(env.WIDGET_POLL_MS ?? 60_000);
const manager = new Manager({
  kube: kubeClients(kubeConfig),
  kinds: [registerKind(WidgetKind, provider)],
  log: createLogger({ level: env.WIDGET_LOG_LEVEL ?? "warn" }),
  ...(env.WIDGET_NAMESPACE ? { namespace: env.WIDGET_NAMESPACE } : {}),
  concurrency: Number(env.WIDGET_CONCURRENCY ?? 16),
  rateLimit: { qps: Number(env.WIDGET_QPS ?? 200), burst: Number(env.WIDGET_QPS ?? 200) * 2 },
  poll: { steadyMs, convergingMs: Number(env.WIDGET_CONVERGING_MS ?? 1000), minMs: 200 },
  metricsAddress: env.WIDGET_METRICS_ADDRESS ?? "127.0.0.1:0",
  leaderElection: {
    enabled: env.WIDGET_LEADER_ELECT === "true",
    namespace: env.WIDGET_LEASE_NAMESPACE ?? "default",
    name: env.WIDGET_LEASE_NAME ?? "setpoint-widget-test",
    leaseDurationMs: Number(env.WIDGET_LEASE_MS ?? 4000),
    renewDeadlineMs: Number(env.WIDGET_RENEW_DEADLINE_MS ?? 3000),
    retryPeriodMs: Number(env.WIDGET_RETRY_MS ?? 500),
  },
  onLostLeadership: () => process.exit(1),
});

process.once("SIGTERM", () => {
  void manager.stop().then(() => process.exit(0));
});
await manager.start();
emit({ event: "ready", metrics: manager.address });
const waitLeading = setInterval(() => {
  if (manager.isLeader()) {
    clearInterval(waitLeading);
    emit({ event: "leading" });
  }
}, 100);
