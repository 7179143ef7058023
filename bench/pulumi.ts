// `npm run bench -- pulumi`: what one PulumiStack poll costs, and how many stacks a machine sustains
// at the default poll interval (issue 13). A fresh kube-apiserver + etcd + moto, the Pulumi CLI that
// controlplane/tools.ts builds, and the real provider (providers/pulumi) in this process, running
// examples/pulumi/s3-bucket.ts (one dynamic-provider bucket per stack) with its state in moto's S3.
//
// The provider is called directly (connect, create, observe), not through the engine: the engine's own
// cost per poll is some 10⁴ times smaller (bench/engine.ts) and would only add noise. A poll is what the
// engine calls on every steady pass: observe(), i.e. `stack tag ls` and `refresh --preview-only`.
//
// CPU is this process's own plus its waited-for children's (/proc/self/stat utime+stime+cutime+cstime):
// every Pulumi CLI is a child that is waited for, and its plugins (the node dynamic provider) are its
// children, waited for by it, so their CPU is counted when the CLI ends. The apiserver, etcd and moto
// are not counted: they stand in for the cloud and the cluster.
//
// 1. Sequential: every stack polled `--rounds` times, one poll at a time: wall and CPU per poll.
// 2. Parallel: the same at the runtime's limit (`--concurrency`, default PULUMI_DEFAULTS.concurrency):
//    polls per second the limit allows. Stacks sustained at the interval = min(that throughput × the
//    interval, cores × the interval / CPU per poll).
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PulumiStackKind } from "../apis/pulumi/v1alpha1/pulumistack.ts";
import { KubeAccessImpl } from "../controller/kube/kube-access.ts";
import { tryTool } from "../controlplane/tools.ts";
import { PulumiRuntime, type PulumiStackClient, pulumiStackProvider } from "../providers/pulumi/index.ts";
import type { PulumiStackResource } from "../providers/pulumi/target.ts";
import { installAwsProviderConfig } from "../test/support/aws.ts";

// test/support/pulumi.ts makes its S3 client when loaded, from the environment startAws() sets: loaded
// after it, in runPulumiBench.
const STATE_BUCKET = "setpoint-pulumi-state";

import { startAws } from "./lib/env.ts";
import { createNamespace } from "./lib/kube.ts";
import { round } from "./lib/proc.ts";
import { emit, log, machine, percentile, table } from "./lib/report.ts";

export interface PulumiBenchOptions {
  stacks: number;
  rounds: number;
  concurrency: number;
  /** The poll interval the sustained figure is computed for. */
  pollMs: number;
  save: string | undefined;
}

const NAMESPACE = "bench-pulumi";
const CLK_TCK = 100;

/** CPU seconds of this process and its waited-for children so far. */
function cpuSecondsWithChildren(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  // Fields after the command name (which is in parentheses and may hold spaces).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime, cutime, cstime are fields 14-17 of the whole line: 12-15 after the name and state.
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks / CLK_TCK;
}

interface Reading {
  wallMs: number;
  cpuSeconds: number;
}

async function measured<T>(fn: () => Promise<T>): Promise<Reading & { value: T }> {
  const cpu0 = cpuSecondsWithChildren();
  const t0 = performance.now();
  const value = await fn();
  return { value, wallMs: performance.now() - t0, cpuSeconds: cpuSecondsWithChildren() - cpu0 };
}

function stackResource(name: string, uid: string): PulumiStackResource {
  return {
    apiVersion: `${PulumiStackKind.group}/${PulumiStackKind.version}`,
    kind: PulumiStackKind.kind,
    metadata: { name, namespace: NAMESPACE, uid },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {
        program: "s3-bucket",
        config: {
          bucketName: { value: `bench-${name}` },
          versioning: { value: "true" },
          tags: { value: JSON.stringify({ team: "bench" }) },
        },
        stateRef: { s3: { bucket: STATE_BUCKET, prefix: "bench" } },
        passphraseSecretRef: { name: "bench-stack", key: "passphrase" },
      },
    },
  } as unknown as PulumiStackResource;
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { mean, p50: percentile(sorted, 50) ?? 0, p95: percentile(sorted, 95) ?? 0 };
};

export async function runPulumiBench(o: PulumiBenchOptions): Promise<void> {
  const tool = await tryTool("pulumi", log);
  if (!("path" in tool)) {
    console.log(`The Pulumi CLI could not be built, so there is nothing to measure: ${tool.reason}`);
    return;
  }
  log(`pulumi CLI ${tool.version} ready in ${round(tool.ms / 1000, 1)}s (cached builds are instant)`);
  const loadBefore = loadavg();
  const env = await startAws();
  const { EXAMPLE_PROGRAMS, ensureStateBucket, putSecret } = await import("../test/support/pulumi.ts");
  const work = await mkdtemp(join(tmpdir(), "setpoint-bench-pulumi-"));
  const shutdown = new AbortController();
  const clients: { mr: PulumiStackResource; client: PulumiStackClient }[] = [];
  try {
    await installAwsProviderConfig();
    await ensureStateBucket();
    await createNamespace(env.kc, NAMESPACE);
    await putSecret(NAMESPACE, "bench-stack", { passphrase: "a long and secret bench passphrase" });
    const runtime = await PulumiRuntime.start({
      programsDir: EXAMPLE_PROGRAMS,
      cli: tool.path,
      workDir: join(work, "work"),
      concurrency: o.concurrency,
      shutdown: shutdown.signal,
    });
    const provider = pulumiStackProvider(Promise.resolve(runtime));
    const kube = new KubeAccessImpl(env.kc);

    log(`creating ${o.stacks} stacks (one S3 bucket each)`);
    const creates: Reading[] = [];
    for (let i = 0; i < o.stacks; i++) {
      const mr = stackResource(`s${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`);
      const client = (await provider.connect(mr, { kube })) as PulumiStackClient;
      const r = await measured(() => client.create(mr));
      creates.push(r);
      clients.push({ mr, client });
    }
    // One poll each first: the first refresh of a stack warms the CLI's caches and the page cache.
    for (const { mr, client } of clients) await client.observe(mr);

    log(`sequential: ${o.stacks} stacks × ${o.rounds} rounds, one poll at a time`);
    const seq: Reading[] = [];
    for (let round = 0; round < o.rounds; round++) {
      for (const { mr, client } of clients) {
        const r = await measured(() => client.observe(mr));
        if (!r.value.exists) throw new Error(`stack ${mr.metadata.name} is gone`);
        seq.push(r);
      }
    }
    const loadSequential = loadavg();

    log(`parallel: the same polls at the runtime's limit of ${o.concurrency}`);
    const par = await measured(() =>
      Promise.all(
        Array.from({ length: o.rounds }, () => clients.map(({ mr, client }) => client.observe(mr))).flat(),
      ),
    );
    const loadParallel = loadavg();
    const polls = o.rounds * o.stacks;

    const wall = stats(seq.map((r) => r.wallMs));
    const cpu = stats(seq.map((r) => r.cpuSeconds));
    const cores = availableParallelism();
    const throughput = polls / (par.wallMs / 1000);
    const intervalS = o.pollMs / 1000;
    const byLimit = Math.floor(throughput * intervalS);
    const byCpu = Math.floor((cores * intervalS) / cpu.mean);
    const sustained = Math.min(byLimit, byCpu);
    const createWall = stats(creates.map((r) => r.wallMs));
    const createCpu = stats(creates.map((r) => r.cpuSeconds));
    const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");

    console.log(
      table(`PulumiStack poll cost: ${o.stacks} stacks, ${o.rounds} rounds (s3-bucket, 1 resource each)`, [
        ["create (first up), wall s, mean", round(createWall.mean / 1000, 2).toString(), "once per stack"],
        ["create, CPU s, mean", round(createCpu.mean, 2).toString(), ""],
        [
          "poll wall s, mean / p50 / p95",
          `${round(wall.mean / 1000, 2)} / ${round(wall.p50 / 1000, 2)} / ${round(wall.p95 / 1000, 2)}`,
          "issue: 0.4-1 CPU-s per stack",
        ],
        [
          "poll CPU s, mean / p50 / p95",
          `${round(cpu.mean, 2)} / ${round(cpu.p50, 2)} / ${round(cpu.p95, 2)}`,
          "CLI + plugin + this process",
        ],
        [
          `parallel (${o.concurrency} at once) polls/s`,
          round(throughput, 2).toString(),
          `${polls} polls in ${round(par.wallMs / 1000, 1)}s`,
        ],
        [
          "parallel CPU s per poll",
          round(par.cpuSeconds / polls, 2).toString(),
          `${round(par.cpuSeconds / (par.wallMs / 1000), 2)} cores busy`,
        ],
        [`stacks at a ${intervalS}s interval, by the limit`, byLimit.toString(), "throughput × interval"],
        [
          `stacks at a ${intervalS}s interval, by ${cores} cores`,
          byCpu.toString(),
          "cores × interval / CPU per poll",
        ],
        ["stacks sustained (the smaller)", sustained.toString(), "with no headroom: halve it for one"],
        [
          "load average before / sequential / parallel",
          `${fmtLoad(loadBefore)} | ${fmtLoad(loadSequential)} | ${fmtLoad(loadParallel)}`,
          "1/5/15 min; other work on the machine",
        ],
      ]),
    );
    await emit(
      "pulumi",
      {
        stacks: o.stacks,
        rounds: o.rounds,
        concurrency: o.concurrency,
        pollIntervalSeconds: intervalS,
        createWallSeconds: round(createWall.mean / 1000, 3),
        createCpuSeconds: round(createCpu.mean, 3),
        pollWallSeconds: {
          mean: round(wall.mean / 1000, 3),
          p50: round(wall.p50 / 1000, 3),
          p95: round(wall.p95 / 1000, 3),
        },
        pollCpuSeconds: { mean: round(cpu.mean, 3), p50: round(cpu.p50, 3), p95: round(cpu.p95, 3) },
        parallelPollsPerSecond: round(throughput, 3),
        parallelCpuSecondsPerPoll: round(par.cpuSeconds / polls, 3),
        sustainedStacks: { byLimit, byCpu, sustained },
        loadavg: { before: loadBefore, sequential: loadSequential, parallel: loadParallel },
        machine: machine(),
      },
      o.save,
    );
  } finally {
    log("destroying the stacks");
    for (const { mr, client } of clients) {
      const obs = await client.observe(mr).catch(() => undefined);
      if (obs?.exists) await client.delete().catch((err) => log(`destroy ${mr.metadata.name}: ${err}`));
    }
    shutdown.abort();
    await env.stop();
    await rm(work, { recursive: true, force: true });
  }
}
