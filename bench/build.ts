// `npm run bench -- build`: the controller's memory by how it is built and started (issues 10 and
// 14). Each flavour runs `setpoint run` as its own process against one kube-apiserver + etcd + seeded
// moto, scoped to namespace bench-build, with the CLI's defaults except a 20 s steady poll:
//
//   tsx           node_modules/.bin/tsx cli/main.ts run, as `npm run setpoint -- run` does (tsx's CLI
//                 starts a second node process; the RSS is the sum of both)
//   tsx-import    node --import tsx cli/main.ts run: the TypeScript loader, one process
//   tsc           tsc's file-by-file output (rewriteRelativeImportExtensions) with node_modules
//   bundle-full   the bundle of scripts/bundle.ts, not minified, through bin/setpoint.mjs
//   bundle        the shipped build (npm run build): the same bundle, whitespace and syntax minified
//
// Every flavour except tsx is built into a temp folder first, so the comparison does not depend on
// what dist/ holds. Per flavour and repetition: start, wait for /readyz (caches synced, 0 resources),
// settle, read RSS ("start"); create N SqlInstances, wait until all are Ready, settle one poll
// interval, read RSS ("steady at N") and the kernel's peak (VmHWM); delete them and wait until they
// are gone; SIGTERM.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../apis/aws/v1alpha1/common.ts";
import { SqlInstanceKind } from "../apis/aws/v1alpha1/sqlinstance.ts";
import { freePort } from "../controlplane/ports.ts";
import { SEED_DB_SUBNET_GROUP, SEED_SECURITY_GROUP_ID } from "../localstack/seed.ts";
import { bundle, ROOT } from "../scripts/bundle.ts";
import { installAwsProviderConfig } from "../test/support/aws.ts";
import { startAws } from "./lib/env.ts";
import { boundedAll, createNamespace, createObject, type KindRef, ReadyTracker } from "./lib/kube.ts";
import { memoryOf } from "./lib/proc.ts";
import { emit, log, machine, mb, sleep, table } from "./lib/report.ts";

export const FLAVOURS = ["tsx", "tsx-import", "tsc", "bundle-full", "bundle"] as const;
export type Flavour = (typeof FLAVOURS)[number];

export interface BuildBenchOptions {
  flavours: Flavour[];
  n: number;
  repeat: number;
  pollMs: number;
  settleMs: number;
  readyTimeoutMs: number;
  save: string | undefined;
}

const NAMESPACE = "bench-build";
const REF: KindRef = {
  group: GROUP,
  version: VERSION,
  plural: SqlInstanceKind.plural,
  kind: SqlInstanceKind.kind,
};

interface Built {
  command: string;
  args: string[];
}

/** Builds a flavour into `dir` and says how to start `setpoint run` from it. */
async function prepare(flavour: Flavour, dir: string): Promise<Built> {
  const node = process.execPath;
  switch (flavour) {
    case "tsx":
      return {
        command: join(ROOT, "node_modules", ".bin", "tsx"),
        args: [join(ROOT, "cli", "main.ts"), "run"],
      };
    case "tsx-import":
      return { command: node, args: ["--import", "tsx", join(ROOT, "cli", "main.ts"), "run"] };
    case "tsc": {
      const out = join(dir, "tsc");
      const config = join(dir, "tsconfig.json");
      writeFileSync(
        config,
        JSON.stringify({
          extends: join(ROOT, "tsconfig.json"),
          compilerOptions: {
            noEmit: false,
            rewriteRelativeImportExtensions: true,
            outDir: out,
            rootDir: ROOT,
            typeRoots: [join(ROOT, "node_modules", "@types")],
          },
          include: ["apis", "cli", "controller", "crds", "providers", "bin"].map((d) => join(ROOT, d)),
          exclude: [join(ROOT, "**", "*.test.ts"), join(ROOT, "controller", "kube", "testing")],
        }),
      );
      execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", config], {
        stdio: "inherit",
      });
      // tsc does not copy the plain JavaScript that cli/main.ts imports, and the output needs the
      // project's node_modules next to it.
      mkdirSync(join(out, "bin"), { recursive: true });
      cpSync(join(ROOT, "bin", "node-version.mjs"), join(out, "bin", "node-version.mjs"));
      symlinkSync(join(ROOT, "node_modules"), join(out, "node_modules"));
      writeFileSync(join(out, "package.json"), JSON.stringify({ type: "module" }));
      return { command: node, args: [join(out, "cli", "main.js"), "run"] };
    }
    case "bundle-full":
    case "bundle": {
      const out = join(dir, flavour);
      await bundle({ outdir: join(out, "dist"), minify: flavour === "bundle" });
      cpSync(join(ROOT, "bin"), join(out, "bin"), { recursive: true });
      return { command: node, args: [join(out, "bin", "setpoint.mjs"), "run"] };
    }
  }
}

/** The RSS of a process and all its descendants, bytes; and the highest VmHWM among them. */
function treeMemory(pid: number): { rss: number; hwm: number; processes: number } {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    try {
      for (const task of readFileSync(`/proc/${pids[i]}/task/${pids[i]}/children`, "utf8").split(" "))
        if (task.trim()) pids.push(Number(task));
    } catch {
      // Gone.
    }
  }
  let rss = 0;
  let hwm = 0;
  for (const p of pids) {
    const m = memoryOf(p);
    rss += m?.rss ?? 0;
    hwm += m?.hwm ?? 0;
  }
  return { rss, hwm, processes: pids.length };
}

async function waitReady(address: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`setpoint exited ${child.exitCode}: ${output.join("").slice(-800)}`);
    const ok = await fetch(`http://${address}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`no /readyz within 60s: ${output.join("").slice(-800)}`);
    await sleep(200);
  }
}

function sqlInstanceSpec() {
  return {
    forProvider: {
      engine: "postgres",
      engineVersion: "16.4",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "bench",
      dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
      vpcSecurityGroupIds: [SEED_SECURITY_GROUP_ID],
      deletionProtection: false,
    },
  };
}

interface Reading {
  flavour: Flavour;
  startMB: number;
  steadyMB: number;
  peakMB: number;
  processes: number;
  readySeconds: number;
}

export async function runBuildBench(o: BuildBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "setpoint-bench-build-"));
  const aws = await startAws();
  const readings: Reading[] = [];
  try {
    const built = new Map<Flavour, Built>();
    for (const f of o.flavours) {
      const t0 = Date.now();
      built.set(f, await prepare(f, dir));
      log(`${f}: prepared in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    await installAwsProviderConfig();
    await createNamespace(aws.kc, NAMESPACE);
    const api = aws.kc.makeApiClient(CustomObjectsApi);
    const names = Array.from({ length: o.n }, (_, i) => `db-${String(i).padStart(4, "0")}`);
    for (let rep = 1; rep <= o.repeat; rep++) {
      for (const f of o.flavours) {
        const b = built.get(f) as Built;
        const address = `127.0.0.1:${await freePort()}`;
        const output: string[] = [];
        const child = spawn(b.command, b.args, {
          env: {
            ...process.env,
            KUBECONFIG: aws.env.kube.kubeconfigPath,
            SETPOINT_NAMESPACE: NAMESPACE,
            SETPOINT_METRICS_ADDRESS: address,
            SETPOINT_POLL_INTERVAL: `${o.pollMs / 1000}s`,
            SETPOINT_LOG_LEVEL: "warn",
          },
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout?.on("data", (d) => output.push(String(d)));
        child.stderr?.on("data", (d) => output.push(String(d)));
        try {
          await waitReady(address, child, output);
          await sleep(o.settleMs);
          const start = treeMemory(child.pid as number);
          const tracker = new ReadyTracker(aws.kc, REF, NAMESPACE);
          await tracker.start();
          const t0 = Date.now();
          await boundedAll(names, 32, (name) => createObject(api, REF, NAMESPACE, name, sqlInstanceSpec()));
          while (tracker.readyCount() < o.n) {
            if (Date.now() - t0 > o.readyTimeoutMs)
              throw new Error(
                `${f}: only ${tracker.readyCount()}/${o.n} Ready: ${output.join("").slice(-800)}`,
              );
            await sleep(250);
          }
          const readySeconds = (Date.now() - t0) / 1000;
          tracker.stop();
          await sleep(o.pollMs);
          const steady = treeMemory(child.pid as number);
          readings.push({
            flavour: f,
            startMB: mb(start.rss),
            steadyMB: mb(steady.rss),
            peakMB: mb(steady.hwm),
            processes: steady.processes,
            readySeconds: Math.round(readySeconds * 10) / 10,
          });
          log(
            `${f} #${rep}: start ${mb(start.rss)} MB, steady at N=${o.n} ${mb(steady.rss)} MB, peak ${mb(steady.hwm)} MB ` +
              `(${steady.processes} process${steady.processes > 1 ? "es" : ""}), all Ready in ${readySeconds.toFixed(1)}s`,
          );
          await boundedAll(names, 32, (name) =>
            api
              .deleteNamespacedCustomObject({ ...REF, namespace: NAMESPACE, name })
              .then(() => undefined)
              .catch(() => undefined),
          );
          for (const deadline = Date.now() + o.readyTimeoutMs; ; await sleep(500)) {
            const left = (
              (await api.listNamespacedCustomObject({ ...REF, namespace: NAMESPACE })) as { items: unknown[] }
            ).items.length;
            if (left === 0) break;
            if (Date.now() > deadline) throw new Error(`${f}: ${left} SqlInstances not deleted`);
          }
        } finally {
          child.kill("SIGTERM");
          await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
        }
      }
    }
  } finally {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor((s.length - 1) / 2)] ?? 0;
  };
  const summary = o.flavours.map((f) => {
    const rs = readings.filter((r) => r.flavour === f);
    return {
      flavour: f,
      startMB: median(rs.map((r) => r.startMB)),
      steadyMB: median(rs.map((r) => r.steadyMB)),
      peakMB: median(rs.map((r) => r.peakMB)),
      processes: rs[0]?.processes ?? 0,
    };
  });
  console.log(
    table(
      `setpoint run by build: RSS (MB, median of ${o.repeat}), ${o.n} SqlInstances on moto, steady poll ${o.pollMs / 1000}s`,
      summary.map((s) => [
        s.flavour,
        `${s.startMB} / ${s.steadyMB} / ${s.peakMB}`,
        `start / steady at N=${o.n} / peak; ${s.processes} process${s.processes > 1 ? "es" : ""}`,
      ]),
    ),
  );
  await emit(
    "build",
    {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { n: o.n, repeat: o.repeat, pollIntervalS: o.pollMs / 1000, settleS: o.settleMs / 1000 },
      summary,
      readings,
    },
    o.save,
  );
}
