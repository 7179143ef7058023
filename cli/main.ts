// The `setpoint` command. Every flag of `run` also reads an environment
// variable, so a Deployment can configure it either way.
import { Command, Option } from "commander";
import { GROUP, type Managed, VERSION } from "../apis/aws/v1alpha1/common.ts";
import { ALL_KINDS } from "../apis/aws/v1alpha1/index.ts";
import { asKubeConfig, loadKubeClient } from "../controller/kube/client.ts";
import { Manager } from "../controller/manager.ts";
import { createLogger } from "../controller/ops/logger.ts";
import { parseDuration } from "../controller/poll/schedule.ts";
import { awsManagedKinds } from "../providers/index.ts";
import { parseCloudBudget } from "./cloud-budget-flag.ts";
import { renderDriftTable, toDriftRow } from "./drift-table.ts";

const MIN_NODE_MAJOR = 22;

function checkNode(): void {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < MIN_NODE_MAJOR) {
    process.stderr.write(
      `setpoint needs Node ${MIN_NODE_MAJOR} or newer (this is ${process.version}). Run it through npm (npm run setpoint -- ...), which uses the Node 24 from node_modules/.bin, or install Node 24 LTS.\n`,
    );
    process.exit(1);
  }
}

function durationOption(flag: string, description: string, env: string, fallback: string): Option {
  return new Option(flag, description)
    .env(env)
    .default(fallback)
    .argParser((v) => {
      parseDuration(v);
      return v;
    });
}

/**
 * A switch that an environment variable can also turn off: commander treats
 * any value of a boolean option's variable, "false" included, as true.
 */
function boolOption(flag: string, description: string, env: string): Option {
  return new Option(`${flag} [enabled]`, `${description} (true or false)`)
    .env(env)
    .default(false)
    .preset(true)
    .argParser((raw) => {
      // The preset (the flag given with no value) arrives as a boolean.
      const v = String(raw);
      if (v === "true" || v === "1") return true;
      if (v === "false" || v === "0" || v === "") return false;
      throw new Error(`${flag} takes true or false, got "${v}"`);
    });
}

function intOption(flag: string, description: string, env: string, fallback: number): Option {
  return new Option(flag, description)
    .env(env)
    .default(fallback)
    .argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new Error(`${flag.split(" ")[0]} must be a whole number >= 1, got "${v}"`);
      return n;
    });
}

export interface RunFlags {
  kubeconfig?: string;
  namespace?: string;
  pollInterval: string;
  convergingPollInterval: string;
  minPollInterval: string;
  terminalRetryInterval: string;
  concurrency: number;
  maxReconcileRate: number;
  metricsAddress: string;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  installCrds: boolean;
  logLevel: string;
  cloudBudget?: Record<string, { ratePerSecond: number; burst: number }>;
  statusHeartbeat: string;
}

export function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--kubeconfig <path>", "kubeconfig file; in-cluster or ~/.kube/config when absent").env(
        "KUBECONFIG",
      ),
    )
    .addOption(
      new Option("-n, --namespace <ns>", "only manage resources in this namespace").env("SETPOINT_NAMESPACE"),
    )
    .addOption(
      durationOption(
        "--poll-interval <d>",
        "poll interval of a steady resource without spec.pollInterval",
        "SETPOINT_POLL_INTERVAL",
        "60s",
      ),
    )
    .addOption(
      durationOption(
        "--converging-poll-interval <d>",
        "poll interval while a resource is not Ready",
        "SETPOINT_CONVERGING_POLL_INTERVAL",
        "10s",
      ),
    )
    .addOption(
      durationOption(
        "--min-poll-interval <d>",
        "no poll is scheduled sooner than this",
        "SETPOINT_MIN_POLL_INTERVAL",
        "5s",
      ),
    )
    .addOption(
      durationOption(
        "--terminal-retry-interval <d>",
        "retry interval after an error that needs a spec change",
        "SETPOINT_TERMINAL_RETRY_INTERVAL",
        "5m",
      ),
    )
    .addOption(intOption("--concurrency <n>", "most reconciles at once", "SETPOINT_CONCURRENCY", 16))
    .addOption(
      intOption(
        "--max-reconcile-rate <n>",
        "most reconciles started per second",
        "SETPOINT_MAX_RECONCILE_RATE",
        50,
      ),
    )
    .addOption(
      new Option("--metrics-address <host:port>", "address for /metrics, /healthz and /readyz")
        .env("SETPOINT_METRICS_ADDRESS")
        .default("0.0.0.0:8080"),
    )
    .addOption(
      boolOption(
        "--leader-elect",
        "elect a leader through a Lease so several replicas can run",
        "SETPOINT_LEADER_ELECT",
      ),
    )
    .addOption(
      new Option("--leader-election-namespace <ns>", "namespace of the leader Lease")
        .env("SETPOINT_LEADER_ELECTION_NAMESPACE")
        .default("default"),
    )
    .addOption(
      durationOption(
        "--status-heartbeat <d>",
        "rewrite status.drift.lastCheckTime at least this often even when nothing changed (0s: never, so an idle fleet makes no writes)",
        "SETPOINT_STATUS_HEARTBEAT",
        "0s",
      ),
    )
    .addOption(
      new Option(
        "--cloud-budget <list>",
        "cloud calls per second and burst per service, e.g. rds=10/100,elbv2=8/20",
      )
        .env("SETPOINT_CLOUD_BUDGET")
        .argParser(parseCloudBudget),
    )
    .addOption(boolOption("--install-crds", "apply setpoint's CRDs at start", "SETPOINT_INSTALL_CRDS"))
    .addOption(
      new Option("--log-level <level>", "trace, debug, info, warn or error")
        .env("SETPOINT_LOG_LEVEL")
        .default("info"),
    );
}

export function managerOptionsFrom(flags: RunFlags) {
  return {
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    concurrency: flags.concurrency,
    rateLimit: { qps: flags.maxReconcileRate, burst: flags.maxReconcileRate * 2 },
    poll: {
      steadyMs: parseDuration(flags.pollInterval),
      convergingMs: parseDuration(flags.convergingPollInterval),
      minMs: parseDuration(flags.minPollInterval),
    },
    terminalRetryMs: parseDuration(flags.terminalRetryInterval),
    metricsAddress: flags.metricsAddress,
    leaderElection: { enabled: flags.leaderElect, namespace: flags.leaderElectionNamespace },
    ...(flags.cloudBudget ? { cloudBudget: flags.cloudBudget } : {}),
    statusHeartbeatMs: parseDuration(flags.statusHeartbeat),
  };
}

async function run(flags: RunFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel });
  if (flags.installCrds) {
    const [{ installCrds }, { loadKubeConfig }] = await Promise.all([
      import("./install-crds.ts"),
      import("./kubeconfig.ts"),
    ]);
    log.info({ crds: await installCrds(loadKubeConfig(flags.kubeconfig)) }, "installed CRDs");
  }
  // The controller's own client: no @kubernetes/client-node, which costs about 80 MB of RSS to import.
  const kubeConfig = asKubeConfig(await loadKubeClient(flags.kubeconfig ? { path: flags.kubeconfig } : {}));
  const manager = new Manager({
    kubeConfig,
    kinds: awsManagedKinds(),
    log,
    ...managerOptionsFrom(flags),
    // Exit at once, as controller-runtime does: in-flight reconciles must not
    // act after another replica has started to.
    onLostLeadership: () => process.exit(1),
  });
  const shutdown = (signal: string) => {
    log.info({ signal }, "received signal; finishing in-flight work");
    void manager.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err: String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  await manager.start();
}

async function drift(opts: {
  kubeconfig?: string;
  namespace?: string;
  allNamespaces?: boolean;
  output: string;
}) {
  const [{ loadKubeConfig }, { CustomObjectsApi }] = await Promise.all([
    import("./kubeconfig.ts"),
    import("@kubernetes/client-node"),
  ]);
  const kc = loadKubeConfig(opts.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  const namespace = opts.allNamespaces
    ? undefined
    : (opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default");
  const rows = [];
  for (const def of ALL_KINDS.filter((k) => k.managed)) {
    const group = def.group ?? GROUP;
    const list = (
      namespace
        ? await api.listNamespacedCustomObject({ group, version: VERSION, namespace, plural: def.plural })
        : await api.listClusterCustomObject({ group, version: VERSION, plural: def.plural })
    ) as { items: Managed[] };
    rows.push(...list.items.map(toDriftRow));
  }
  rows.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name),
  );
  process.stdout.write(
    opts.output === "json" ? `${JSON.stringify(rows, null, 2)}\n` : renderDriftTable(rows),
  );
}

export function program(): Command {
  const root = new Command("setpoint").description(
    "Provisions AWS resources from Kubernetes custom resources, and corrects and reports drift.",
  );
  addRunOptions(root.command("run").description("run the controller")).action(run);

  root
    .command("drift")
    .description("show the drift report of every managed resource")
    .addOption(new Option("--kubeconfig <path>").env("KUBECONFIG"))
    .option("-n, --namespace <ns>", "namespace (default: the context's)")
    .option("-A, --all-namespaces", "all namespaces")
    .addOption(
      new Option("-o, --output <format>", "table or json").choices(["table", "json"]).default("table"),
    )
    .action(drift);

  root
    .command("crds")
    .description("print the CRDs generated from the schemas, or write them to crds/")
    .option("--write", "write crds/*.yaml")
    .option("--apply", "apply them to the cluster in KUBECONFIG")
    .action(async (opts: { write?: boolean; apply?: boolean }) => {
      const [{ crdFileName, renderCrd }, { writeCrds }, { installCrds }, { loadKubeConfig }] =
        await Promise.all([
          import("../crds/generate.ts"),
          import("../crds/write.ts"),
          import("./install-crds.ts"),
          import("./kubeconfig.ts"),
        ]);
      if (opts.write) for (const path of await writeCrds()) process.stdout.write(`wrote ${path}\n`);
      else if (opts.apply)
        for (const name of await installCrds(loadKubeConfig())) process.stdout.write(`applied ${name}\n`);
      else for (const def of ALL_KINDS) process.stdout.write(`---\n# ${crdFileName(def)}\n${renderCrd(def)}`);
    });

  root
    .command("demo")
    .description(
      "start a local control plane and AWS emulator, run the controller on the examples, and show drift being corrected",
    )
    .option("--keep", "keep the environment running after the demo until Ctrl-C")
    .action(async (opts: { keep?: boolean }) => {
      const { runDemo } = await import("./demo.ts");
      await runDemo(opts);
    });

  root
    .command("env")
    .description("start a local kube-apiserver and AWS emulator and keep them running until Ctrl-C")
    .action(async () => {
      const { runEnv } = await import("./demo.ts");
      await runEnv();
    });
  return root;
}

checkNode();
program()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`setpoint: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
