// The whole local environment in one call: a real kube-apiserver + etcd and a seeded moto, for the
// e2e tests (scripts/test.ts) and the demo.

import { ensureMotoVenv, type Moto, type MotoVenv, startMoto } from "../localstack/moto.ts";
import { type Binaries, ensureBinaries, type Log } from "./binaries.ts";
import { type ControlPlane, startControlPlane } from "./kube.ts";
import { type ToolName, type ToolResult, tryTools } from "./tools.ts";

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
  /** The extra tools asked for, each built or with the reason it could not be. */
  tools: ToolResult[];
  timings: { binaries: number; motoVenv: number };
}

/**
 * The one-time steps (building the Go binaries, installing moto, and building the extra tools that
 * were asked for). The venv install is mostly network, the Go builds mostly CPU, so they overlap; the
 * Go builds run one after another, control plane first, since each uses every core. Each reports
 * progress on its own lines. A tool that cannot be built is reported in `tools`, not thrown: only the
 * tests that need it skip.
 */
export async function prepareTools(log: Log, extraTools: readonly ToolName[] = []): Promise<PreparedTools> {
  const t0 = Date.now();
  let tBin = 0;
  let tVenv = 0;
  const [[binaries, tools], venv] = await Promise.all([
    ensureBinaries(log).then(async (b) => {
      tBin = Date.now() - t0;
      return [b, await tryTools(extraTools, log)] as const;
    }),
    ensureMotoVenv(log).then((v) => {
      tVenv = Date.now() - t0;
      return v;
    }),
  ]);
  return { binaries, venv, tools, timings: { binaries: tBin, motoVenv: tVenv } };
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
