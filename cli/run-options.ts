// The flags of `setpoint run`. Every flag also reads an environment
// variable, so a Deployment can configure it either way; every default is
// the manager's own (controller/manager/defaults.ts).
import { type Command, Option } from "commander";
import { DEFAULTS, rateLimitFor } from "../controller/manager/index.ts";
import { formatDuration, parseDuration } from "../controller/poll/schedule.ts";
import { SDK_REQUEST_TIMEOUT_MS } from "../providers/aws/shared/index.ts";
import { PULUMI_DEFAULTS, type PulumiRuntimeOptions } from "../providers/pulumi/index.ts";
import { parseCloudBudget } from "./cloud-budget-flag.ts";

function durationOption(flag: string, description: string, env: string, fallbackMs: number): Option {
  return new Option(flag, description)
    .env(env)
    .default(formatDuration(fallbackMs))
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
  awsRequestTimeout: string;
  pulumiPrograms?: string;
  pulumiCli: string;
  pulumiPlugins?: string;
  pulumiWorkDir?: string;
  pulumiLocalStateDir?: string;
  pulumiConcurrency: number;
  pulumiPollInterval: string;
  pulumiOperationTimeout: string;
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
        DEFAULTS.poll.steadyMs,
      ),
    )
    .addOption(
      durationOption(
        "--converging-poll-interval <d>",
        "poll interval while a resource is not Ready",
        "SETPOINT_CONVERGING_POLL_INTERVAL",
        DEFAULTS.poll.convergingMs,
      ),
    )
    .addOption(
      durationOption(
        "--min-poll-interval <d>",
        "no poll is scheduled sooner than this",
        "SETPOINT_MIN_POLL_INTERVAL",
        DEFAULTS.poll.minMs,
      ),
    )
    .addOption(
      durationOption(
        "--terminal-retry-interval <d>",
        "retry interval after an error that needs a spec change",
        "SETPOINT_TERMINAL_RETRY_INTERVAL",
        DEFAULTS.terminalRetryMs,
      ),
    )
    .addOption(
      intOption("--concurrency <n>", "most reconciles at once", "SETPOINT_CONCURRENCY", DEFAULTS.concurrency),
    )
    .addOption(
      intOption(
        "--max-reconcile-rate <n>",
        "most reconciles started per second",
        "SETPOINT_MAX_RECONCILE_RATE",
        DEFAULTS.maxReconcileRate,
      ),
    )
    .addOption(
      new Option("--metrics-address <host:port>", "address for /metrics, /healthz and /readyz")
        .env("SETPOINT_METRICS_ADDRESS")
        .default(DEFAULTS.metricsAddress),
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
        .default(DEFAULTS.leaderElection.namespace),
    )
    .addOption(
      durationOption(
        "--status-heartbeat <d>",
        "rewrite status.drift.lastCheckTime at least this often even when nothing changed (0s: never, so an idle fleet makes no writes)",
        "SETPOINT_STATUS_HEARTBEAT",
        DEFAULTS.statusHeartbeatMs,
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
    .addOption(
      durationOption(
        "--aws-request-timeout <d>",
        "how long one AWS API request may wait for its answer before the SDK gives it up and retries",
        "SETPOINT_AWS_REQUEST_TIMEOUT",
        SDK_REQUEST_TIMEOUT_MS,
      ).argParser((v) => {
        if (parseDuration(v) < 1) throw new Error(`--aws-request-timeout must be longer than 0, got "${v}"`);
        return v;
      }),
    )
    .addOption(boolOption("--install-crds", "apply setpoint's CRDs at start", "SETPOINT_INSTALL_CRDS"))
    .addOption(
      new Option(
        "--pulumi-programs <dir>",
        "serve PulumiStacks with the programs in this folder (each module exports a Pulumi program); @pulumi/pulumi must resolve from it",
      ).env("SETPOINT_PULUMI_PROGRAMS"),
    )
    .addOption(
      new Option("--pulumi-cli <path>", "the Pulumi CLI, of the same version as the programs' @pulumi/pulumi")
        .env("SETPOINT_PULUMI_CLI")
        .default("pulumi"),
    )
    .addOption(
      new Option(
        "--pulumi-plugins <dir>",
        "resource plugins, laid out as `pulumi plugin install` leaves PULUMI_HOME/plugins (nothing is downloaded)",
      ).env("SETPOINT_PULUMI_PLUGINS"),
    )
    .addOption(
      new Option(
        "--pulumi-work-dir <dir>",
        "where stack workspaces go; when unset, setpoint-pulumi in the system temp folder",
      ).env("SETPOINT_PULUMI_WORK_DIR"),
    )
    .addOption(
      new Option(
        "--pulumi-local-state-dir <dir>",
        "allow spec.stateRef.local, keeping state under <dir>/<namespace> on this controller's disk (tests, single node)",
      ).env("SETPOINT_PULUMI_LOCAL_STATE_DIR"),
    )
    .addOption(
      intOption(
        "--pulumi-concurrency <n>",
        "most Pulumi operations at once (each keeps about a core busy)",
        "SETPOINT_PULUMI_CONCURRENCY",
        PULUMI_DEFAULTS.concurrency,
      ),
    )
    .addOption(
      durationOption(
        "--pulumi-poll-interval <d>",
        "poll interval of a steady PulumiStack without spec.pollInterval",
        "SETPOINT_PULUMI_POLL_INTERVAL",
        PULUMI_DEFAULTS.pollIntervalMs,
      ),
    )
    .addOption(
      durationOption(
        "--pulumi-operation-timeout <d>",
        "a Pulumi operation still running after this is interrupted",
        "SETPOINT_PULUMI_OPERATION_TIMEOUT",
        PULUMI_DEFAULTS.operationTimeoutMs,
      ),
    )
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
    rateLimit: rateLimitFor(flags.maxReconcileRate),
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

/** The AWS SDK settings from the flags: the request timeout, in ms. */
export function awsOptionsFrom(flags: RunFlags): { requestTimeoutMs: number } {
  return { requestTimeoutMs: parseDuration(flags.awsRequestTimeout) };
}

/** The Pulumi runtime's options, or undefined when no programs folder was given. */
export function pulumiOptionsFrom(
  flags: RunFlags,
  extra: Pick<PulumiRuntimeOptions, "log" | "shutdown">,
): PulumiRuntimeOptions | undefined {
  if (!flags.pulumiPrograms) return undefined;
  return {
    programsDir: flags.pulumiPrograms,
    cli: flags.pulumiCli,
    ...(flags.pulumiPlugins ? { pluginsDir: flags.pulumiPlugins } : {}),
    ...(flags.pulumiWorkDir ? { workDir: flags.pulumiWorkDir } : {}),
    ...(flags.pulumiLocalStateDir ? { localStateDir: flags.pulumiLocalStateDir } : {}),
    concurrency: flags.pulumiConcurrency,
    operationTimeoutMs: parseDuration(flags.pulumiOperationTimeout),
    ...extra,
  };
}
