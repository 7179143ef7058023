// `setpoint env --chart`: the Helm chart installed into the local kube-apiserver, so that one command
// from a fresh clone shows what the chart creates (ServiceAccount, RBAC, Deployment, Service, PDB)
// on a real API server. helm is built from the Go module proxy by controlplane/tools.ts and cached
// like kube-apiserver. There is no kubelet here, so the Deployment's pods never start: the
// controller runs as a process instead (`npm run setpoint -- run`).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { helmEnv, tryTool } from "../controlplane/tools.ts";
import { CHART_DIR } from "../deploy/generate.ts";

const run = promisify(execFile);

export const ENV_CHART_RELEASE = "setpoint";
export const ENV_CHART_NAMESPACE = "setpoint-system";

export type ChartInstall =
  | { installed: true; release: string; namespace: string; helm: string; summary: string }
  | { installed: false; reason: string };

/**
 * Installs (or upgrades) the chart with its defaults. Never throws: a helm that cannot be built or
 * an install that fails comes back as its reason, and `setpoint env` goes on without the chart.
 */
export async function installChart(
  kubeconfigPath: string,
  log: (line: string) => void,
): Promise<ChartInstall> {
  const helm = await tryTool("helm", log);
  if (!("path" in helm)) return { installed: false, reason: helm.reason };
  const home = await mkdtemp(join(tmpdir(), "setpoint-env-helm-"));
  const env = helmEnv(home, kubeconfigPath);
  try {
    // The CRDs are already installed by `setpoint env`; helm skips the chart's crds/ when they exist.
    await run(
      helm.path,
      [
        "upgrade",
        "--install",
        ENV_CHART_RELEASE,
        CHART_DIR,
        "--namespace",
        ENV_CHART_NAMESPACE,
        "--create-namespace",
      ],
      { env, maxBuffer: 16 * 1024 * 1024 },
    );
    const { stdout } = await run(
      helm.path,
      ["get", "manifest", ENV_CHART_RELEASE, "--namespace", ENV_CHART_NAMESPACE],
      { env, maxBuffer: 16 * 1024 * 1024 },
    );
    return {
      installed: true,
      release: ENV_CHART_RELEASE,
      namespace: ENV_CHART_NAMESPACE,
      helm: helm.path,
      summary: summarizeManifest(stdout),
    };
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { installed: false, reason: `helm install failed: ${(e.stderr || e.message).trim()}` };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** "ServiceAccount/setpoint, ClusterRole/setpoint, ..." from a rendered manifest, in its order. */
export function summarizeManifest(manifest: string): string {
  return parseAllDocuments(manifest)
    .map((doc) => doc.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((o) => o?.kind && o.metadata?.name)
    .map((o) => `${o?.kind}/${o?.metadata?.name}`)
    .join(", ");
}
