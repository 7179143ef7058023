// helm (built by controlplane/tools.ts) against the test API server, with its own cache and config
// directories so that a test never reads or writes the user's.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { helmEnv } from "../../controlplane/tools.ts";
import { CHART_DIR } from "../../deploy/generate.ts";
import { kubeconfigPath } from "./env.ts";
import type { KubeObject } from "./kube-http.ts";

const run = promisify(execFile);

export { CHART_DIR };

export class Helm {
  readonly #path: string;
  readonly #home: Promise<string>;

  constructor(path: string) {
    this.#path = path;
    this.#home = mkdtemp(join(tmpdir(), "setpoint-helm-"));
  }

  /** Runs helm; rejects with its stderr when it exits non-zero. */
  async run(args: string[]): Promise<{ stdout: string; stderr: string }> {
    const home = await this.#home;
    try {
      return await run(this.#path, args, {
        env: helmEnv(home, kubeconfigPath()),
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`helm ${args.join(" ")} failed: ${e.stderr || e.message}`);
    }
  }

  /** A values file holding `values`, for `-f`. */
  async valuesFile(values: Record<string, unknown>): Promise<string> {
    const path = join(await this.#home, `values-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(path, JSON.stringify(values));
    return path;
  }

  /** `helm template` of the chart, parsed. */
  async template(
    release: string,
    namespace: string,
    values: Record<string, unknown> = {},
    extraArgs: string[] = [],
  ): Promise<KubeObject[]> {
    const { stdout } = await this.run([
      "template",
      release,
      CHART_DIR,
      "--namespace",
      namespace,
      "-f",
      await this.valuesFile(values),
      ...extraArgs,
    ]);
    return parseManifests(stdout);
  }

  async dispose(): Promise<void> {
    await rm(await this.#home, { recursive: true, force: true });
  }
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === "object" && typeof o.kind === "string");
}

export function findObject(objects: KubeObject[], kind: string, nameSuffix = ""): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (!found)
    throw new Error(
      `no ${kind}${nameSuffix ? ` named *${nameSuffix}` : ""} among ${objects.map((o) => o.kind).join(", ")}`,
    );
  return found;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

interface PodSpecLike {
  containers: { name: string; env?: EnvVar[]; [k: string]: unknown }[];
  [k: string]: unknown;
}

export function podTemplateOf(deployment: KubeObject): {
  metadata: Record<string, unknown>;
  spec: PodSpecLike;
} {
  return (deployment.spec as { template: { metadata: Record<string, unknown>; spec: PodSpecLike } }).template;
}

/** The controller container's environment in a rendered Deployment. */
export function controllerEnv(deployment: KubeObject): EnvVar[] {
  return podTemplateOf(deployment).spec.containers[0]?.env ?? [];
}
