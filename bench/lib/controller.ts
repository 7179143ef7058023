// The controller under measurement, as a process of its own, built the way it ships: `setpoint run`
// (the AWS kinds) or the Widget controller (test/support/widget-controller.ts, the engine with the
// in-memory provider). Builds:
//
//   bundle   the compiled build (scripts/bundle.ts, as `npm run build` makes it); the Widget controller
//            is bundled with the same esbuild options, from its own entry point
//   tsx      the TypeScript sources through `node --import tsx`, one process
//
// V8 flags are given as the launcher gives them (bin/heap-flags.mjs), or not at all (`--node-flags none`),
// so the benchmark measures both. Memory is read from outside (/proc) and from the process's /metrics.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { HEAP_ENV, heapFlags } from "../../bin/heap-flags.mjs";
import { freePort } from "../../controlplane/ports.ts";
import { bundle, esbuildOptions, ROOT } from "../../scripts/bundle.ts";
import { scrape, sum } from "./prom.ts";
import { sleep } from "./report.ts";

export const BUILDS = ["bundle", "tsx"] as const;
export type Build = (typeof BUILDS)[number];
export type Program = "setpoint-run" | "widget";

export interface Launch {
  command: string;
  args: string[];
  /** A module that loads the whole program without running it, for the "after imports" reading. */
  importable?: { module: string; nodeArgs: string[] };
}

/** Builds `program` into `dir` (bundle) or points at the sources (tsx); returns how to start it. */
export async function prepareController(program: Program, b: Build, dir: string): Promise<Launch> {
  if (b === "tsx") {
    const entry =
      program === "widget" ? join(ROOT, "test/support/widget-controller.ts") : join(ROOT, "cli/main.ts");
    return {
      command: process.execPath,
      args: ["--import", "tsx", entry, ...(program === "widget" ? [] : ["run"])],
    };
  }
  if (program === "setpoint-run") {
    // As the package ships: bin/setpoint.mjs imports ../dist/setpoint.mjs.
    await bundle({ outdir: join(dir, "dist"), minify: true });
    cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
    return {
      command: process.execPath,
      args: [join(dir, "bin", "setpoint.mjs"), "run"],
      importable: { module: join(dir, "dist", "setpoint.mjs"), nodeArgs: [] },
    };
  }
  const opts = esbuildOptions(join(dir, "widget"), true);
  await build({
    ...opts,
    entryPoints: [{ in: "test/support/widget-controller.ts", out: "widget-controller" }],
  });
  return { command: process.execPath, args: [join(dir, "widget", "widget-controller.mjs")] };
}

export interface Runtime {
  nodeFlags: string[];
  env: Record<string, string>;
}

/**
 * "launcher": the flags and environment bin/heap-flags.mjs sets (no container limit here unless
 * given); "none": V8's and glibc's defaults; anything else: those flags.
 */
export function runtimeFor(spec: string, memoryLimitBytes?: number): Runtime {
  if (spec === "none") return { nodeFlags: [], env: {} };
  if (spec === "launcher") return { nodeFlags: heapFlags(memoryLimitBytes), env: { ...HEAP_ENV } };
  return { nodeFlags: spec.split(/\s+/).filter(Boolean), env: {} };
}

export function describeRuntime(r: Runtime): string {
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  return [...env, ...r.nodeFlags].join(" ") || "none";
}

export interface MemoryReading {
  rssMB: number;
  /** Anonymous memory (heap, malloc) and file-backed pages (the node binary's code). */
  anonMB: number;
  fileMB: number;
  /** The kernel's peak RSS since start. */
  peakMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

const MB = 1024 * 1024;
const r1 = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

function procStatus(pid: number): { rss: number; anon: number; file: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

/** The RSS of `bare node` with these flags, after a second: the floor under every other figure. */
export async function bareNodeRss(r: Runtime): Promise<number> {
  const child = spawn(process.execPath, [...r.nodeFlags, "-e", "setTimeout(() => {}, 60_000)"], {
    stdio: "ignore",
    env: { ...process.env, ...r.env },
  });
  await sleep(1500);
  const m = procStatus(child.pid as number);
  child.kill("SIGKILL");
  return r1(m?.rss ?? 0);
}

/** The RSS once the program is loaded and nothing has started (its module imported, main not called). */
export async function importedRss(launch: Launch, r: Runtime): Promise<number | undefined> {
  if (!launch.importable) return undefined;
  const { module, nodeArgs } = launch.importable;
  const code = `await import(${JSON.stringify(pathToFileURL(module).href)}); setTimeout(() => {}, 60_000);`;
  const child = spawn(process.execPath, [...r.nodeFlags, ...nodeArgs, "--input-type=module", "-e", code], {
    stdio: "ignore",
    cwd: ROOT,
    env: { ...process.env, ...r.env },
  });
  let m: ReturnType<typeof procStatus>;
  // Loaded when the RSS stops growing.
  for (let i = 0, last = -1; i < 40; i++, await sleep(250)) {
    m = procStatus(child.pid as number);
    if (m && i > 4 && m.rss === last) break;
    last = m?.rss ?? -1;
  }
  child.kill("SIGKILL");
  return r1(m?.rss ?? 0);
}

export interface ControllerEvent {
  event: string;
  [key: string]: unknown;
}

/** One controller process: its pid, its /metrics address, the JSON lines it printed, its memory. */
export class ControllerProcess {
  readonly process: ChildProcess;
  readonly metricsAddress: string;
  readonly startedAt = Date.now();
  readonly events: ControllerEvent[] = [];
  readonly output: string[] = [];
  readonly #exited: Promise<void>;

  private constructor(child: ChildProcess, metricsAddress: string) {
    this.process = child;
    this.metricsAddress = metricsAddress;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("{")) {
        try {
          const obj = JSON.parse(line) as ControllerEvent;
          if (typeof obj.event === "string") {
            this.events.push(obj);
            return;
          }
        } catch {
          // not one of ours
        }
      }
      this.#keep(line);
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => this.#keep(line));
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  #keep(line: string): void {
    this.output.push(line);
    if (this.output.length > 100) this.output.shift();
  }

  /**
   * Starts a controller. `program` decides how it is configured: `setpoint run` by its flags'
   * environment variables, the Widget controller by WIDGET_*.
   */
  static async start(
    launch: Launch,
    o: {
      program: Program;
      runtime: Runtime;
      /** Flags for this run only, e.g. --heapsnapshot-signal. */
      extraFlags?: string[];
      kubeconfig: string;
      env: Record<string, string>;
      cwd?: string;
    },
  ): Promise<ControllerProcess> {
    const address = `127.0.0.1:${await freePort()}`;
    const metricsVar = o.program === "widget" ? "WIDGET_METRICS_ADDRESS" : "SETPOINT_METRICS_ADDRESS";
    const child = spawn(launch.command, [...o.runtime.nodeFlags, ...(o.extraFlags ?? []), ...launch.args], {
      env: {
        ...process.env,
        KUBECONFIG: o.kubeconfig,
        [metricsVar]: address,
        // The benchmark gives the flags (and their environment) itself; the re-exec must not add others.
        SETPOINT_HEAP_FLAGS: "off",
        ...o.runtime.env,
        ...o.env,
      },
      ...(o.cwd ? { cwd: o.cwd } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new ControllerProcess(child, address);
  }

  get pid(): number {
    return this.process.pid as number;
  }

  exitedWith(): number | null {
    return this.process.exitCode;
  }

  failIfExited(): void {
    if (this.process.exitCode !== null)
      throw new Error(
        `controller exited with ${this.process.exitCode}: ${this.output.slice(-10).join("\n")}`,
      );
  }

  /** Resolves once /readyz answers 200: every cache has synced. */
  async waitReady(timeoutMs = 120_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.failIfExited();
      const ok = await fetch(`http://${this.metricsAddress}/readyz`, {
        signal: AbortSignal.timeout(2000),
      }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return Date.now() - this.startedAt;
      if (Date.now() > deadline)
        throw new Error(`no /readyz within ${timeoutMs}ms: ${this.output.slice(-10).join("\n")}`);
      await sleep(100);
    }
  }

  async memory(): Promise<MemoryReading> {
    const m = procStatus(this.pid);
    const samples = await scrape(this.metricsAddress).catch(() => []);
    return {
      rssMB: r1(m?.rss ?? 0),
      anonMB: r1(m?.anon ?? 0),
      fileMB: r1(m?.file ?? 0),
      peakMB: r1(m?.hwm ?? 0),
      heapUsedMB: r1(sum(samples, "setpoint_nodejs_heap_size_used_bytes")),
      heapTotalMB: r1(sum(samples, "setpoint_nodejs_heap_size_total_bytes")),
      externalMB: r1(sum(samples, "setpoint_nodejs_external_memory_bytes")),
    };
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    this.process.kill("SIGTERM");
    await this.#exited;
    clearTimeout(timer);
  }
}
