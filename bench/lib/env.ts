// The benchmark's own environment: a fresh kube-apiserver + etcd (and moto
// for the AWS benchmarks) per measured size, started through controlplane/
// and stopped at the end, so one size's objects never weigh on the next.
//
// The test support helpers reused here (ChildController, installAwsProviderConfig) read the
// SETPOINT_TEST_* variables; the benchmark sets them itself from the environment it started, so it
// does not depend on the test runner.
import { KubeConfig } from "@kubernetes/client-node";
import { ensureBinaries } from "../../controlplane/binaries.ts";
import { type Environment, prepareTools, startEnvironment } from "../../controlplane/env.ts";
import { type ControlPlane, startControlPlane } from "../../controlplane/kube.ts";
import { ENV_AWS_ENDPOINT, ENV_AWS_REGION, ENV_KUBECONFIG, ENV_MOTO_URL } from "../../test/support/env.ts";
import { childPidsNamed } from "./proc.ts";
import { log } from "./report.ts";

export interface BenchKube {
  kc: KubeConfig;
  /** For controllers started as processes of their own. */
  kubeconfigPath: string;
  /** PIDs of the API server and etcd, for CPU and memory readings. */
  pids: { apiserver: number; etcd: number };
  stop(): Promise<void>;
}

function kubeFrom(cp: ControlPlane, stop: () => Promise<void>): BenchKube {
  process.env[ENV_KUBECONFIG] = cp.kubeconfigPath;
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const [apiserver] = childPidsNamed("kube-apiserver-");
  const [etcd] = childPidsNamed("etcd-");
  if (apiserver === undefined || etcd === undefined) throw new Error("kube-apiserver or etcd pid not found");
  return { kc, kubeconfigPath: cp.kubeconfigPath, pids: { apiserver, etcd }, stop };
}

/** A kube-apiserver + etcd only (the engine benchmark needs no emulator). */
export async function startKube(): Promise<BenchKube> {
  const binaries = await ensureBinaries(log);
  const t0 = Date.now();
  const cp = await startControlPlane({ binaries, log });
  log(`kube-apiserver up in ${((Date.now() - t0) / 1000).toFixed(1)}s at ${cp.server}`);
  return kubeFrom(cp, () => cp.stop());
}

export interface BenchAws extends BenchKube {
  env: Environment;
}

/** kube-apiserver + etcd + a seeded moto, through controlplane/env.ts. */
export async function startAws(): Promise<BenchAws> {
  const tools = await prepareTools(log);
  const env = await startEnvironment(log, tools);
  log(
    `environment up in ${(env.timings.start / 1000).toFixed(1)}s: ${env.kube.server}, moto ${env.moto.endpoint}`,
  );
  process.env[ENV_AWS_ENDPOINT] = env.moto.endpoint;
  process.env[ENV_AWS_REGION] = "us-east-1";
  process.env[ENV_MOTO_URL] = env.moto.endpoint;
  return { ...kubeFrom(env.kube, () => env.stop()), env };
}
