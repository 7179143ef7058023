// The commands that run a local environment (a kube-apiserver and etcd built from the Go module proxy,
// moto from PyPI). They need a checkout of the repository, so only cli/main.ts adds them; the compiled
// build (bin/setpoint.mjs) ships without them and without their tools.
import type { Command } from "commander";

export function addLocalCommands(root: Command): Command {
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
    .description(
      "start a local kube-apiserver and AWS emulator with a ProviderConfig for it, and keep them running until Ctrl-C",
    )
    .option(
      "--chart",
      "also install the Helm chart (deploy/helm/setpoint) into it; helm is built from the Go module proxy and cached",
    )
    .action(async (opts: { chart?: boolean }) => {
      const { runEnv } = await import("./demo.ts");
      await runEnv(opts);
    });
  return root;
}
