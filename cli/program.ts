// The `setpoint` command: run, drift and crds (a checkout adds demo and env: local-commands.ts). The
// flags of `run` are in run-options.ts. The entry points (cli/main.ts under tsx, bin/setpoint.mjs on the
// compiled build) check the Node version first and then import this module, which loads everything.
//
// `run` never imports @kubernetes/client-node (about 80 MB of RSS): the controller talks to the apiserver
// through controller/kube/client.ts. drift, crds and --install-crds import it, through cli/kubeconfig.ts,
// when they run.
import { Command, Option } from "commander";
import { combineRegistries, type Managed } from "../controller/api/index.ts";
import { loadKubeClient } from "../controller/kube/client.ts";
import { kubeClients, Manager } from "../controller/manager/index.ts";
import { createLogger } from "../controller/ops/logger.ts";
import { parseDuration } from "../controller/poll/schedule.ts";
import { setAwsRequestTimeout } from "../providers/aws/shared/index.ts";
import { ALL, AWS, pulumiRegistry } from "../providers/index.ts";
import { PulumiRuntime } from "../providers/pulumi/index.ts";
import { renderDriftTable, toDriftRow } from "./drift-table.ts";
import {
  addRunOptions,
  awsOptionsFrom,
  managerOptionsFrom,
  pulumiOptionsFrom,
  type RunFlags,
} from "./run-options.ts";

/** What the commands other than `run` use: client-node's typed APIs, imported on first use. */
async function clientNodeCommands() {
  const [{ CustomObjectsApi }, { loadKubeConfig }, { installCrds }] = await Promise.all([
    import("@kubernetes/client-node"),
    import("./kubeconfig.ts"),
    import("./install-crds.ts"),
  ]);
  return { CustomObjectsApi, loadKubeConfig, installCrds };
}

async function run(flags: RunFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel });
  setAwsRequestTimeout(awsOptionsFrom(flags).requestTimeoutMs);
  if (flags.installCrds) {
    const { installCrds, loadKubeConfig } = await clientNodeCommands();
    log.info({ crds: await installCrds(loadKubeConfig(flags.kubeconfig)) }, "installed CRDs");
  }
  // Interrupts running Pulumi operations on shutdown, so each CLI cancels and releases its stack's lock.
  const stopping = new AbortController();
  const pulumi = pulumiOptionsFrom(flags, {
    log: log.child({ component: "pulumi" }),
    shutdown: stopping.signal,
  });
  // Started before the manager: a wrong programs folder or CLI stops the controller with its reason.
  const runtime = pulumi ? await PulumiRuntime.start(pulumi) : undefined;
  const registry = combineRegistries(
    AWS,
    pulumiRegistry({
      ...(runtime ? { runtime: Promise.resolve(runtime) } : {}),
      pollIntervalMs: parseDuration(flags.pulumiPollInterval),
    }),
  );
  const client = await loadKubeClient(flags.kubeconfig ? { path: flags.kubeconfig } : {});
  const manager = new Manager({
    kube: kubeClients(client),
    kinds: registry.kinds,
    log,
    ...managerOptionsFrom(flags),
    // Exit at once, as controller-runtime does: in-flight reconciles must not
    // act after another replica has started to.
    onLostLeadership: () => process.exit(1),
  });
  const shutdown = (signal: string) => {
    log.info({ signal }, "received signal; finishing in-flight work");
    stopping.abort(new Error(`the controller received ${signal}`));
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
  const { loadKubeConfig, CustomObjectsApi } = await clientNodeCommands();
  const kc = loadKubeConfig(opts.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);
  const namespace = opts.allNamespaces
    ? undefined
    : (opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? "default");
  const rows = [];
  for (const { def } of ALL.kinds) {
    const { group, version, plural } = def;
    const list = (
      namespace
        ? await api.listNamespacedCustomObject({ group, version, namespace, plural })
        : await api.listClusterCustomObject({ group, version, plural })
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
    "Provisions AWS resources and Pulumi stacks from Kubernetes custom resources, and corrects and reports drift.",
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
    .description(
      "print the CRDs generated from the schemas, apply them, or (in a checkout) write them to crds/",
    )
    .option("--write", "write crds/*.yaml")
    .option("--apply", "apply them to the cluster in KUBECONFIG")
    .action(async (opts: { write?: boolean; apply?: boolean }) => {
      if (opts.write) {
        const { writeCrds } = await import("../crds/write.ts");
        for (const path of await writeCrds()) process.stdout.write(`wrote ${path}\n`);
      } else if (opts.apply) {
        const { installCrds, loadKubeConfig } = await clientNodeCommands();
        for (const name of await installCrds(loadKubeConfig())) process.stdout.write(`applied ${name}\n`);
      } else {
        const { crdFileName, renderCrd } = await import("../crds/generate.ts");
        for (const def of ALL.crds) process.stdout.write(`---\n# ${crdFileName(def)}\n${renderCrd(def)}`);
      }
    });

  return root;
}

/**
 * Runs the command line; a failed command prints its error and exits 1. A checkout adds its local
 * commands (demo, env) to `root`; the compiled build ships without them and their tools.
 */
export async function main(argv: string[] = process.argv, root: Command = program()): Promise<void> {
  // `setpoint crds | head` closes stdout early: that ends the command, it is not a crash.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  try {
    await root.parseAsync(argv);
  } catch (err) {
    process.stderr.write(`setpoint: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
