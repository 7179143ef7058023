// `npm run bench -- <name> [options]`: runs one benchmark and prints its
// figures (a table, then one BENCH_JSON line). Benchmarks are measurements,
// not tests: they run on demand, never in CI, and have no pass/fail.
// The Node version is checked before anything heavy is imported (see bin/node-version.mjs).
import { parseArgs } from "node:util";
import { CHECKOUT_HINT, requireNode } from "../bin/node-version.mjs";

requireNode("npm run bench", CHECKOUT_HINT);
const { parseDuration } = await import("../controller/poll/schedule.ts");
const { runAwsBench, AWS_BENCHES } = await import("./aws.ts");
const { runBuildBench, FLAVOURS } = await import("./build.ts");
const { runEngine } = await import("./engine.ts");
const { runImports } = await import("./imports.ts");
const { BUILDS, runtimeFor } = await import("./lib/controller.ts");
const { analyse, printHeapSummary } = await import("./lib/heap-summary.ts");
const { runPulumiBench } = await import("./pulumi.ts");
const { PULUMI_DEFAULTS } = await import("../providers/pulumi/runtime.ts");

const USAGE = `usage: npm run bench -- <engine|rds|elbv2|ec2|dbsubnetgroup|build|imports|heap|pulumi> [options]

common options
  --sizes <n,n,...>            resource counts, one fresh environment each
                               (engine 100,1000,10000; rds 100,1000; elbv2 200,1000;
                               ec2 200,1000; dbsubnetgroup 200)
  --build <b>                  ${BUILDS.join(" or ")}: how the controller is built (bundle, as it ships)
  --node-flags <f>             launcher (the flags bin/heap-flags.mjs sets), none, or the flags themselves
                               ("--max-semi-space-size=4 ..."); default launcher
  --memory-limit <MB>          the container limit the launcher would read (adds --max-old-space-size)
  --poll-interval <d>          steady poll interval (engine 60s, the AWS benches 20s)
  --window <d>                 idle measuring window (default: one poll interval for engine,
                               three for rds/elbv2)
  --settle <d>                 wait after all Ready before the window (default: one poll interval)
  --concurrency <n>            reconcile workers (engine 16, rds/elbv2 32)
  --qps <n>                    max reconciles started per second (engine 50, rds/elbv2 200)
  --converging-poll-interval <d>  poll interval while not Ready (default 10s)
  --apply-concurrency <n>      creates in flight while applying (32)
  --ready-timeout <d>          give up waiting for all Ready (default 40m)
  --save <name>                also write the JSON to bench/results/<name>.json

engine only
  --patches <n>                spec changes while steady (200)
  --patch-rate <n>             spec changes per second (20)
  --no-restart                 skip timing a restarted controller's start-up at N
  --heap-snapshot              take and read a heap snapshot when steady (slow at 10,000)

imports: the RSS each runtime dependency costs to import, each in a fresh node
heap <file.heapsnapshot>...    the heap by constructor and by the engine's fields
  --per <n>                    also the cached bytes per object for n objects
  --json                       one JSON line

pulumi only: CPU and wall time per PulumiStack poll, stacks sustained (see bench/pulumi.ts)
  --sizes <n>                  stacks (6)
  --repeat <n>                 polls of each stack, in each of the two runs (5)
  --concurrency <n>            Pulumi operations at once (the runtime's default, 2)
  --poll-interval <d>          the interval the sustained figure is for (the default, 10m)

build only: RSS of \`setpoint run\` by how it is built (see bench/build.ts)
  --flavours <f,f,...>         ${FLAVOURS.join(",")} (all)
  --sizes <n>                  SqlInstances for the steady reading (100)
  --repeat <n>                 runs per flavour, the median is reported (3)
  --poll-interval, --settle    20s, 5s
`;

function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      sizes: { type: "string" },
      "poll-interval": { type: "string" },
      window: { type: "string" },
      settle: { type: "string" },
      concurrency: { type: "string" },
      qps: { type: "string" },
      "converging-poll-interval": { type: "string" },
      "apply-concurrency": { type: "string" },
      "ready-timeout": { type: "string" },
      patches: { type: "string" },
      "patch-rate": { type: "string" },
      save: { type: "string" },
      flavours: { type: "string" },
      repeat: { type: "string" },
      build: { type: "string" },
      "node-flags": { type: "string" },
      "memory-limit": { type: "string" },
      "no-restart": { type: "boolean" },
      "heap-snapshot": { type: "boolean" },
      per: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const name = positionals[0];
  if (values.help || !name) {
    console.log(USAGE);
    process.exit(name || values.help ? 0 : 2);
  }
  const int = (v: string | undefined, d: number) => (v === undefined ? d : Number.parseInt(v, 10));
  const dur = (v: string | undefined, d: number) => (v === undefined ? d : parseDuration(v));
  const sizes = (d: number[]) =>
    values.sizes ? values.sizes.split(",").map((s) => Number.parseInt(s, 10)) : d;
  const build = (values.build ?? "bundle") as (typeof BUILDS)[number];
  if (!(BUILDS as readonly string[]).includes(build)) {
    console.error(`unknown build ${build} (known: ${BUILDS.join(", ")})`);
    process.exit(2);
  }
  const limitMB = values["memory-limit"] === undefined ? undefined : Number(values["memory-limit"]);
  const runtime = runtimeFor(values["node-flags"] ?? "launcher", limitMB ? limitMB * 1024 * 1024 : undefined);

  if (name === "engine") {
    const pollMs = dur(values["poll-interval"], 60_000);
    return runEngine({
      sizes: sizes([100, 1000, 10000]),
      build,
      runtime,
      restart: !values["no-restart"],
      heapSnapshot: values["heap-snapshot"] === true,
      pollMs,
      convergingMs: dur(values["converging-poll-interval"], 10_000),
      concurrency: int(values.concurrency, 16),
      qps: int(values.qps, 50),
      applyConcurrency: int(values["apply-concurrency"], 32),
      patches: int(values.patches, 200),
      patchRate: int(values["patch-rate"], 20),
      settleMs: dur(values.settle, pollMs),
      windowMs: dur(values.window, pollMs),
      readyTimeoutMs: dur(values["ready-timeout"], 40 * 60_000),
      save: values.save,
    });
  }
  const aws = AWS_BENCHES.find((b) => b === name);
  if (aws) {
    const pollMs = dur(values["poll-interval"], 20_000);
    const defaultSizes = { rds: [100, 1000], elbv2: [200, 1000], ec2: [200, 1000], dbsubnetgroup: [200] };
    return runAwsBench({
      service: aws,
      sizes: sizes(defaultSizes[aws]),
      build,
      runtime,
      pollMs,
      convergingMs: dur(values["converging-poll-interval"], 10_000),
      concurrency: int(values.concurrency, 32),
      qps: int(values.qps, 200),
      applyConcurrency: int(values["apply-concurrency"], 32),
      settleMs: dur(values.settle, pollMs),
      windowMs: dur(values.window, 3 * pollMs),
      readyTimeoutMs: dur(values["ready-timeout"], 40 * 60_000),
      save: values.save,
    });
  }
  if (name === "pulumi") {
    return runPulumiBench({
      stacks: sizes([6])[0] ?? 6,
      rounds: int(values.repeat, 5),
      concurrency: int(values.concurrency, PULUMI_DEFAULTS.concurrency),
      pollMs: dur(values["poll-interval"], PULUMI_DEFAULTS.pollIntervalMs),
      save: values.save,
    });
  }
  if (name === "build") {
    const flavours = (values.flavours?.split(",") ?? [...FLAVOURS]) as (typeof FLAVOURS)[number][];
    const unknown = flavours.filter((f) => !(FLAVOURS as readonly string[]).includes(f));
    if (unknown.length > 0) {
      console.error(`unknown flavour ${unknown.join(", ")} (known: ${FLAVOURS.join(", ")})`);
      process.exit(2);
    }
    return runBuildBench({
      flavours,
      n: sizes([100])[0] ?? 100,
      repeat: int(values.repeat, 3),
      pollMs: dur(values["poll-interval"], 20_000),
      settleMs: dur(values.settle, 5_000),
      readyTimeoutMs: dur(values["ready-timeout"], 10 * 60_000),
      save: values.save,
    });
  }
  if (name === "imports") return runImports({ runtime, save: values.save });
  if (name === "heap") {
    const per = values.per === undefined ? undefined : Number(values.per);
    return (async () => {
      for (const file of positionals.slice(1)) {
        const s = await analyse(file, per);
        console.log(values.json ? JSON.stringify(s) : printHeapSummary(s));
      }
    })();
  }
  console.error(`unknown benchmark "${name}"\n\n${USAGE}`);
  process.exit(2);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
