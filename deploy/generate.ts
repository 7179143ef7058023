// Writes what deploy/ derives from the project's sources, so that nothing there is a hand copy:
//
//   deploy/helm/setpoint/crds/*.yaml          the CRDs, from apis/ (the same text as crds/)
//   deploy/helm/setpoint/files/rbac/*.yaml    the RBAC rules, from deploy/rbac/rules.ts
//   deploy/iam/*.json                         the IAM policies, from deploy/iam/policy.ts
//   deploy/kustomize/base/                    the chart rendered with its defaults (needs helm)
//
// `npm run deploy:generate` writes them all. deploy/generate.test.ts fails when the first three are stale,
// and test/e2e/chart.test.ts when the kustomize base is.

import { execFile } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { crdFileName, renderCrd } from "../crds/generate.ts";
import { ALL } from "../providers/index.ts";
import { policyFiles } from "./iam/policy.ts";
import {
  clusterRules,
  crdCreateRules,
  crdRules,
  leaderElectionRules,
  type PolicyRule,
  tenantEditRules,
  tenantViewRules,
} from "./rbac/rules.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, "..");
export const CHART_DIR = join(here, "helm", "setpoint");
export const KUSTOMIZE_BASE_DIR = join(here, "kustomize", "base");
export const IAM_DIR = join(here, "iam");
/** The release name and namespace the kustomize base is rendered for. */
export const KUSTOMIZE_RELEASE = "setpoint";
export const KUSTOMIZE_NAMESPACE = "setpoint-system";

const run = promisify(execFile);

function header(source: string): string {
  return `# Generated from ${source} by \`npm run deploy:generate\`. Do not edit.\n`;
}

function rulesFile(rules: PolicyRule[]): string {
  return header("deploy/rbac/rules.ts") + stringify(rules, { lineWidth: 0 });
}

/** Every generated file that needs no tool, by path: the chart's CRDs and RBAC rules. */
export function chartFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of ALL.crds) files.set(join(CHART_DIR, "crds", crdFileName(def)), renderCrd(def));
  const rbac = join(CHART_DIR, "files", "rbac");
  files.set(join(rbac, "cluster-rules.yaml"), rulesFile(clusterRules()));
  files.set(join(rbac, "crd-rules.yaml"), rulesFile(crdRules()));
  files.set(join(rbac, "crd-create-rules.yaml"), rulesFile(crdCreateRules()));
  files.set(join(rbac, "leader-election-rules.yaml"), rulesFile(leaderElectionRules()));
  files.set(join(rbac, "tenant-edit-rules.yaml"), rulesFile(tenantEditRules()));
  files.set(join(rbac, "tenant-view-rules.yaml"), rulesFile(tenantViewRules()));
  return files;
}

/** The IAM policy documents, by path. */
export function iamFiles(): Map<string, string> {
  return new Map([...policyFiles()].map(([name, text]) => [join(IAM_DIR, name), text]));
}

// The kustomize base is the chart's own output, less what only Helm means: its chart label, and
// managed-by: Helm, which would make a later `helm install` refuse to adopt objects kubectl created.
function forKustomize(doc: Record<string, unknown>): Record<string, unknown> {
  const relabel = (labels: Record<string, string> | undefined) => {
    if (!labels) return;
    delete labels["helm.sh/chart"];
    if (labels["app.kubernetes.io/managed-by"]) labels["app.kubernetes.io/managed-by"] = "kustomize";
  };
  const meta = doc.metadata as { labels?: Record<string, string> } | undefined;
  relabel(meta?.labels);
  return doc;
}

/** The kustomize base, by path: `helm template` with the chart's defaults, plus the CRDs. */
export async function kustomizeFiles(helm: string): Promise<Map<string, string>> {
  const { stdout } = await run(
    helm,
    ["template", KUSTOMIZE_RELEASE, CHART_DIR, "--namespace", KUSTOMIZE_NAMESPACE],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJS() as Record<string, unknown> | null)
    .filter((o): o is Record<string, unknown> => o !== null && typeof o === "object");
  const files = new Map<string, string>();
  const src = "deploy/helm/setpoint (helm template, default values)";
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: KUSTOMIZE_NAMESPACE, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  };
  files.set(join(KUSTOMIZE_BASE_DIR, "namespace.yaml"), header(src) + stringify(namespace));
  files.set(
    join(KUSTOMIZE_BASE_DIR, "setpoint.yaml"),
    header(src) + objects.map((o) => stringify(forKustomize(o), { lineWidth: 0 })).join("---\n"),
  );
  const crdPaths: string[] = [];
  for (const def of ALL.crds) {
    const path = join(KUSTOMIZE_BASE_DIR, "crds", crdFileName(def));
    files.set(path, renderCrd(def));
    crdPaths.push(relative(KUSTOMIZE_BASE_DIR, path));
  }
  const kustomization = {
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    // An overlay may set its own namespace: the leader election namespace follows the pod's (downward
    // API), and kustomize rewrites the ServiceAccount subjects of the bindings.
    namespace: KUSTOMIZE_NAMESPACE,
    resources: ["namespace.yaml", ...crdPaths, "setpoint.yaml"],
  };
  files.set(
    join(KUSTOMIZE_BASE_DIR, "kustomization.yaml"),
    header("deploy/generate.ts") + stringify(kustomization),
  );
  return files;
}

async function writeAll(files: Map<string, string>, cleanDirs: string[]): Promise<void> {
  // Generated directories hold only generated files: a file left from a removed kind goes.
  for (const dir of cleanDirs) await rm(dir, { recursive: true, force: true });
  for (const [path, text] of files) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    console.log(`wrote ${relative(ROOT, path)}`);
  }
}

/** Paths under dir, relative to ROOT, for comparing a generated directory with what is on disk. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(ROOT, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeAll(chartFiles(), [join(CHART_DIR, "crds"), join(CHART_DIR, "files", "rbac")]);
  await writeAll(iamFiles(), []);
  const { tryTool } = await import("../controlplane/tools.ts");
  const helm = await tryTool("helm");
  if (!("path" in helm)) {
    console.error(`deploy/kustomize/base was not regenerated: ${helm.reason}`);
    process.exit(1);
  }
  await writeAll(await kustomizeFiles(helm.path), [KUSTOMIZE_BASE_DIR]);
}
