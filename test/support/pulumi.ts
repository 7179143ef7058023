// End-to-end support for PulumiStack: the real engine with the real Pulumi provider, running real
// programs with the Pulumi CLI that controlplane/tools.ts built, against the test kube-apiserver and
// moto. A test file declares the tools it needs itself (needTool, in its own text) and passes them here.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CoreV1Api } from "@kubernetes/client-node";
import { PulumiStackKind } from "../../apis/pulumi/v1alpha1/pulumistack.ts";
import type { Manager, ManagerOptions } from "../../controller/manager/index.ts";
import { createLogger } from "../../controller/ops/logger.ts";
import { PULUMI_KUBERNETES_VERSION } from "../../controlplane/tools.ts";
import { pulumiRegistry } from "../../providers/index.ts";
import { PulumiRuntime, type PulumiRuntimeOptions } from "../../providers/pulumi/index.ts";
import { installAwsProviderConfig } from "./aws.ts";
import { Objects, startEngine } from "./engine.ts";
import { awsClientConfig, testKubeConfig } from "./env.ts";
import { type NeededTool, pathOf } from "./tools.ts";

const run = promisify(execFile);

export const REPO = join(import.meta.dirname, "..", "..");
export const EXAMPLE_PROGRAMS = join(REPO, "examples", "pulumi");
/** The examples re-exported, and programs that only tests need (one that throws, one that is slow). */
export const TEST_PROGRAMS = join(REPO, "test", "e2e", "pulumi-programs");
export const STATE_BUCKET = "setpoint-pulumi-state";

/** Polls fast enough for a test, slow enough that an operation (seconds) ends before the next poll. */
export const PULUMI_TEST_POLL = { pollIntervalMs: 4000, convergingPollIntervalMs: 2000 };

export const s3 = new S3Client({ ...awsClientConfig(), forcePathStyle: true });

export async function ensureStateBucket(): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET })).catch((err: { name?: string }) => {
    if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
  });
}

/** A PULUMI_HOME with the kubernetes plugin installed from the built binary; returns its plugins folder. */
export async function installKubernetesPlugin(pulumi: NeededTool, plugin: NeededTool): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "setpoint-pulumi-plugins-"));
  await run(
    pathOf(pulumi),
    ["plugin", "install", "resource", "kubernetes", PULUMI_KUBERNETES_VERSION, "--file", pathOf(plugin)],
    {
      env: { PATH: process.env.PATH ?? "", PULUMI_HOME: home, HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" },
    },
  );
  return join(home, "plugins");
}

export interface PulumiEngine {
  manager: Manager;
  runtime: PulumiRuntime;
  work: string;
  stop(): Promise<void>;
}

/**
 * The engine serving only PulumiStacks in `namespace`, with its own runtime and work folder, and the
 * AWS ProviderConfig "default" for moto (the state bucket's credentials).
 */
export async function startPulumiEngine(
  namespace: string,
  o: {
    pulumi: NeededTool;
    programsDir?: string;
    /** Allow stateRef.local, under the engine's own work folder. */
    localState?: boolean;
    runtime?: Partial<PulumiRuntimeOptions>;
    manager?: Partial<ManagerOptions>;
  },
): Promise<PulumiEngine> {
  await installAwsProviderConfig();
  await ensureStateBucket();
  const work = await mkdtemp(join(tmpdir(), "setpoint-pulumi-e2e-"));
  const shutdown = new AbortController();
  const runtime = await PulumiRuntime.start({
    programsDir: o.programsDir ?? EXAMPLE_PROGRAMS,
    cli: pathOf(o.pulumi),
    workDir: join(work, "work"),
    ...(o.localState ? { localStateDir: join(work, "state") } : {}),
    concurrency: 2,
    shutdown: shutdown.signal,
    log: createLogger({ level: process.env.SETPOINT_TEST_LOG_LEVEL ?? "error" }),
    ...o.runtime,
  });
  const manager = await startEngine(
    pulumiRegistry({ runtime: Promise.resolve(runtime), ...PULUMI_TEST_POLL }).kinds,
    {
      namespace,
      ...o.manager,
    },
  );
  return {
    manager,
    runtime,
    work,
    async stop() {
      shutdown.abort();
      await manager.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}

export function stacks(namespace: string): Objects {
  return new Objects(PulumiStackKind, namespace);
}

/** A Secret in `namespace`, created or replaced. */
export async function putSecret(
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<void> {
  const core = testKubeConfig().makeApiClient(CoreV1Api);
  const body = { metadata: { name, namespace }, stringData: data };
  await core.createNamespacedSecret({ namespace, body }).catch(async (err: { code?: number }) => {
    if (err.code !== 409) throw err;
    await core.replaceNamespacedSecret({ name, namespace, body });
  });
}

export async function readSecret(
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const core = testKubeConfig().makeApiClient(CoreV1Api);
  try {
    const s = await core.readNamespacedSecret({ name, namespace });
    return Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString()]),
    );
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}
