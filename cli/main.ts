// The `setpoint` command: run, drift, crds, demo and env. The flags of
// `run` are in run-options.ts.
import { Command, Option } from "commander";
import type { Managed } from "../controller/api/index.ts";
import { loadKubeClient } from "../controller/kube/client.ts";
import { kubeClients, Manager } from "../controller/manager/index.ts";
import { createLogger } from "../controller/ops/logger.ts";
import { AWS } from "../providers/index.ts";
import { renderDriftTable, toDriftRow } from "./drift-table.ts";
import { addRunOptions, managerOptionsFrom, type RunFlags } from "./run-options.ts";

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
  const kubeConfig = await loadKubeClient(flags.kubeconfig ? { path: flags.kubeconfig } : {});
  const manager = new Manager({
    kube: kubeClients(kubeConfig),
    kinds: AWS.kinds,
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
  for (const { def } of AWS.kinds) {
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
      // Imported here: client-node and the CRD generator are not needed by `run`.
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
      else for (const def of AWS.crds) process.stdout.write(`---\n# ${crdFileName(def)}\n${renderCrd(def)}`);
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
