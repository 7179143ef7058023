// The whole local environment in one call: a real kube-apiserver + etcd and a seeded moto, for the
// e2e tests (scripts/test.ts) and the demo.

import { ensureMotoVenv, type Moto, type MotoVenv, startMoto } from "../localstack/moto.ts";
import { type Binaries, ensureBinaries, type Log } from "./binaries.ts";
import { type ControlPlane, startControlPlane } from "./kube.ts";

export interface Environment {
  kube: ControlPlane;
  moto: Moto;
  /** Wall-clock milliseconds of each setup step, for progress reports. */
  timings: { binaries: number; motoVenv: number; start: number };
  /** Stops moto and the control plane; idempotent, never throws. */
  stop(): Promise<void>;
}

export interface PreparedTools {
  binaries: Binaries;
  venv: MotoVenv;
  timings: { binaries: number; motoVenv: number };
}

/**
 * The one-time steps (building the Go binaries, installing moto). The venv install is mostly network,
 * the Go build mostly CPU, so they overlap; but each reports progress on its own lines.
 */
export async function prepareTools(log: Log): Promise<PreparedTools> {
  const t0 = Date.now();
  let tBin = 0;
  let tVenv = 0;
  const [binaries, venv] = await Promise.all([
    ensureBinaries(log).then((b) => {
      tBin = Date.now() - t0;
      return b;
    }),
    ensureMotoVenv(log).then((v) => {
      tVenv = Date.now() - t0;
      return v;
    }),
  ]);
  return { binaries, venv, timings: { binaries: tBin, motoVenv: tVenv } };
}

export async function startEnvironment(
  log: Log = (l) => console.error(l),
  tools?: PreparedTools,
): Promise<Environment> {
  const prepared = tools ?? (await prepareTools(log));
  const t0 = Date.now();
  const [kube, moto] = await Promise.allSettled([
    startControlPlane({ binaries: prepared.binaries, log }),
    startMoto({ venv: prepared.venv, log }),
  ]);
  if (kube.status === "rejected" || moto.status === "rejected") {
    // One came up and the other did not: do not leave the survivor running.
    if (kube.status === "fulfilled") await kube.value.stop();
    if (moto.status === "fulfilled") await moto.value.stop();
    throw kube.status === "rejected" ? kube.reason : (moto as PromiseRejectedResult).reason;
  }
  let stopping: Promise<void> | undefined;
  return {
    kube: kube.value,
    moto: moto.value,
    timings: { ...prepared.timings, start: Date.now() - t0 },
    stop() {
      stopping ??= Promise.allSettled([moto.value.stop(), kube.value.stop()]).then(() => undefined);
      return stopping;
    },
  };
}
