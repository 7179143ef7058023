// The tools that some tests need beyond the control plane: helm and kustomize (deploy/), the Pulumi CLI
// and Pulumi's kubernetes resource plugin (PulumiStack). Each is built from a wrapper module under
// controlplane/<name> and cached like kube-apiserver (go-build.ts).
//
// A tool that cannot be built is not an error here: tryTool answers with the reason, and the tests that
// need it skip loudly with that reason (test/support/tools.ts). A missing kube-apiserver still fails.

import { execFile } from "node:child_process";
import { copyFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ensureGoBinary, type GoBuildSpec, type Log } from "./go-build.ts";

const here = dirname(fileURLToPath(import.meta.url));
const run = promisify(execFile);

export const HELM_VERSION = "v3.22.0";
export const KUSTOMIZE_VERSION = "v5.8.2";
export const PULUMI_VERSION = "v3.276.0";
/** Without a "v": the form the plugin reports and @pulumi/kubernetes asks for. */
export const PULUMI_KUBERNETES_VERSION = "4.25.0";
const PULUMI_KUBERNETES_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4";

// helm's Makefile stamps its version and the Kubernetes version it assumes offline (helm template's
// .Capabilities.KubeVersion, lint's deprecation checks) from its k8s.io modules: v0.37 means 1.37.
function helmLdflags(): string {
  const v = "helm.sh/helm/v3/internal/version";
  const kube = ["helm.sh/helm/v3/pkg/lint/rules", "helm.sh/helm/v3/pkg/chartutil"].flatMap((pkg) => [
    `-X ${pkg}.k8sVersionMajor=1`,
    `-X ${pkg}.k8sVersionMinor=37`,
  ]);
  return ["-s", "-w", `-X ${v}.version=${HELM_VERSION}`, `-X ${v}.gitTreeState=clean`, ...kube].join(" ");
}

const HELM: GoBuildSpec = {
  name: "helm",
  version: HELM_VERSION,
  moduleDir: join(here, "helm"),
  pkg: "helm.sh/helm/v3/cmd/helm",
  ldflags: helmLdflags(),
  expectedMinutes: "2-4",
};

const KUSTOMIZE: GoBuildSpec = {
  name: "kustomize",
  version: KUSTOMIZE_VERSION,
  moduleDir: join(here, "kustomize"),
  pkg: "sigs.k8s.io/kustomize/kustomize/v5",
  // `kustomize version` reads this; kustomize's release build stamps it the same way.
  ldflags: `-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/${KUSTOMIZE_VERSION}`,
  expectedMinutes: "1-2",
};

const PULUMI: GoBuildSpec = {
  name: "pulumi",
  version: PULUMI_VERSION,
  moduleDir: join(here, "pulumi"),
  pkg: "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
  // What Pulumi's release build stamps: `pulumi version` prints it, and the engine compares it with
  // the version that @pulumi/pulumi expects.
  ldflags: `-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}`,
  expectedMinutes: "8-12",
};

const PULUMI_RESOURCE_KUBERNETES: GoBuildSpec = {
  name: "pulumi-resource-kubernetes",
  version: `v${PULUMI_KUBERNETES_VERSION}`,
  moduleDir: join(here, "pulumi-resource-kubernetes"),
  pkg: ".",
  ldflags: `-s -w -X ${PULUMI_KUBERNETES_MODULE}/pkg/version.Version=${PULUMI_KUBERNETES_VERSION}`,
  expectedMinutes: "7-10",
  prepareKey: `generate.go VERSION=${PULUMI_KUBERNETES_VERSION}`,
  // Upstream's `go generate` step: generate.go reads schema.json and terraform-mapping.json from its
  // directory, sets the schema's version, and writes the two *-embed.json files that main.go embeds.
  prepare: async (stageDir, go) => {
    const src = join(
      await moduleDirOf(PULUMI_KUBERNETES_MODULE, stageDir),
      "cmd",
      "pulumi-resource-kubernetes",
    );
    for (const f of ["generate.go", "schema.json", "terraform-mapping.json"]) {
      await copyFile(join(src, f), join(stageDir, f));
    }
    await go(["run", "-v", "-mod=readonly", "generate.go"], {
      cwd: stageDir,
      env: { VERSION: PULUMI_KUBERNETES_VERSION },
      what: "generating the schema embed",
    });
  },
};

/** Where the module cache holds a dependency of the module in `dir` (downloading it if needed). */
async function moduleDirOf(module: string, dir: string): Promise<string> {
  const r = await run("go", ["mod", "download", "-json", module], { cwd: dir }).catch(
    (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? "", stderr: err.stderr ?? "" }),
  );
  const info = JSON.parse(r.stdout || "{}") as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module} failed: ${info.Error ?? r.stderr.trim()}`);
  return info.Dir;
}

/**
 * The environment for running helm with a private HOME: helm writes its cache, config and data
 * there, so a test or `setpoint env --chart` never reads or writes the user's.
 */
export function helmEnv(home: string, kubeconfig: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
}

export const TOOLS = {
  helm: HELM,
  kustomize: KUSTOMIZE,
  pulumi: PULUMI,
  "pulumi-resource-kubernetes": PULUMI_RESOURCE_KUBERNETES,
} as const satisfies Record<string, GoBuildSpec>;

export type ToolName = keyof typeof TOOLS;

export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

export function isToolName(name: string): name is ToolName {
  return Object.hasOwn(TOOLS, name);
}

export type ToolResult =
  | { name: ToolName; version: string; path: string; ms: number }
  | { name: ToolName; version: string; reason: string; ms: number };

/** Builds (or finds) one tool. Never throws: a failed build comes back as its reason. */
export async function tryTool(name: ToolName, log: Log = (l) => console.error(l)): Promise<ToolResult> {
  const spec = TOOLS[name];
  const t0 = Date.now();
  try {
    const path = await ensureGoBinary(spec, log);
    return { name, version: spec.version, path, ms: Date.now() - t0 };
  } catch (err) {
    const reason = `${name} ${spec.version} could not be built: ${err instanceof Error ? err.message : String(err)}`;
    log(reason);
    return { name, version: spec.version, reason, ms: Date.now() - t0 };
  }
}

/** Builds the named tools one after another (each build uses every core), in the order given. */
export async function tryTools(names: readonly ToolName[], log: Log): Promise<ToolResult[]> {
  const out: ToolResult[] = [];
  for (const name of names) out.push(await tryTool(name, log));
  return out;
}

// `npx tsx controlplane/tools.ts [name...]` builds (or finds) tools and prints their paths.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !isToolName(n));
  if (unknown.length > 0) {
    console.error(`unknown tool ${unknown.join(", ")} (known: ${TOOL_NAMES.join(", ")})`);
    process.exit(2);
  }
  const results = await tryTools(names.length > 0 ? (names as ToolName[]) : TOOL_NAMES, (l) =>
    console.error(l),
  );
  for (const r of results) console.log(`${r.name}: ${"path" in r ? r.path : `NOT BUILT (${r.reason})`}`);
  process.exit(results.every((r) => "path" in r) ? 0 : 1);
}
