// Builds a Go program from the Go module proxy into the machine-wide cache, once per machine. This is
// the one mechanism behind every binary the project builds: kube-apiserver and etcd (binaries.ts), and
// helm, kustomize, the Pulumi CLI and its kubernetes plugin (tools.ts).
//
// Why build instead of download: the only network this project may use is the package registries, and
// the Go module proxy is one of them. A wrapper module under controlplane/<name> pins the versions
// (go.mod and go.sum); this file turns it into a cached binary.
//
// Cache layout: <cache>/setpoint/bin/<name>-<version>-<hash8>, where hash8 covers the wrapper's go.mod,
// go.sum, any .go files and the build flags, so editing a wrapper rebuilds and never reuses a stale binary.
// Builds write to a temp file in the same directory and rename it into place (atomic on one filesystem).
// Two lock files keep a 2-core machine sane: one per target, so two runs never compile the same thing
// twice, and one for the whole cache, so two runs never compile two big programs at once (go build
// already uses every core; two at once only double the peak memory).

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, copyFile, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import type { Log } from "./lock.ts";
import { withLock } from "./lock.ts";

export type { Log };

export interface GoBuildSpec {
  /** The binary's name, and the first part of its cache file name. */
  name: string;
  version: string;
  /** The wrapper module (go.mod, go.sum, maybe a main.go). */
  moduleDir: string;
  /** The package to build, as seen from the wrapper module. */
  pkg: string;
  ldflags: string;
  /** Shown in the first progress line, e.g. "4-8". */
  expectedMinutes: string;
  /**
   * A step that must run before `go build`, in a writable copy of the wrapper module (for files the
   * module zip does not ship, such as a generated embed). It runs go through the `go` argument, which
   * reports progress like the build. When present, the build happens in that copy.
   */
  prepare?: (stageDir: string, go: GoRunner) => Promise<void>;
  /** What `prepare` does, for the cache key: change it when the step changes. */
  prepareKey?: string;
}

/** Runs `go <args>` in a directory with progress lines, and throws with go's output when it fails. */
export type GoRunner = (
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; what: string },
) => Promise<void>;

/** `$XDG_CACHE_HOME/setpoint/bin`, else `~/.cache/setpoint/bin`. */
export function binCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache");
  return join(base, "setpoint", "bin");
}

async function wrapperFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f === "go.mod" || f === "go.sum" || f.endsWith(".go")).sort();
}

// The key of kube-apiserver and etcd must not change when a field is added here: a new key rebuilds
// every machine's control plane. So fields that only some specs have are hashed only when present.
async function specHash(spec: GoBuildSpec): Promise<string> {
  const h = createHash("sha256");
  for (const f of await wrapperFiles(spec.moduleDir)) {
    h.update(`${f}\0`);
    h.update(await readFile(join(spec.moduleDir, f)));
    h.update("\0");
  }
  h.update(`pkg=${spec.pkg}\0ldflags=${spec.ldflags}\0`);
  if (spec.prepareKey !== undefined) h.update(`prepare=${spec.prepareKey}\0`);
  return h.digest("hex").slice(0, 8);
}

/** The cache path a spec builds to (it may not exist yet). */
async function cachedPath(spec: GoBuildSpec): Promise<string> {
  return join(binCacheDir(), `${spec.name}-${spec.version}-${await specHash(spec)}`);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

let goVersionLine: string | undefined;

/** `go version`, or a clear error naming what to install. */
export function requireGo(): string {
  if (goVersionLine) return goVersionLine;
  const r = spawnSync("go", ["version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(
      "setpoint builds its tools (kube-apiserver, etcd, helm, pulumi) from source and needs the Go " +
        "toolchain, but `go` was not found on PATH. Install Go 1.26 or newer (https://go.dev/doc/install, " +
        "or your package manager), make sure `go version` works, and run again.",
    );
  }
  goVersionLine = r.stdout.trim();
  return goVersionLine;
}

const PACKAGE_LINE = /^[A-Za-z0-9_.~+-]+(\/[A-Za-z0-9_.~+-]+)*$/;
const HEARTBEAT_MS = 15_000;

/** Runs go with `-v`-style output: counts package lines, keeps the rest for the error message. */
function goRunnerFor(name: string, log: Log): GoRunner {
  return async (args, opts) => {
    const started = Date.now();
    let compiled = 0;
    let lastPkg = "";
    const otherLines: string[] = [];
    const child = spawn("go", args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onKill = () => child.kill("SIGTERM");
    process.once("exit", onKill);

    let buf = "";
    const onData = (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        // `go build -v` names each package as it is compiled; anything else is an error or a download note.
        if (PACKAGE_LINE.test(line)) {
          compiled++;
          lastPkg = line;
        } else if (line.trim() !== "") {
          otherLines.push(line);
        }
        nl = buf.indexOf("\n");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);

    const heartbeat = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(
        `  ${name}: still ${opts.what}, ${secs}s elapsed, ${compiled} packages compiled (last: ${lastPkg})`,
      );
    }, HEARTBEAT_MS);

    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (c) => resolve(c));
      });
      if (buf.trim() !== "" && !PACKAGE_LINE.test(buf.trim())) otherLines.push(buf);
      if (code !== 0) {
        const tail = otherLines.slice(-80).join("\n");
        throw new Error(`go ${args[0]} for ${name} failed (exit ${code}) in ${opts.cwd}:\n${tail}`);
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const done = opts.what === "building" ? "built" : `finished ${opts.what}`;
      log(`  ${name}: ${done} in ${secs}s (${compiled} packages compiled)`);
    } finally {
      clearInterval(heartbeat);
      process.removeListener("exit", onKill);
    }
  };
}

// A run killed mid-build leaves <target>.tmp-<pid>-<ms> (and a staging dir); under the lock, they are dead weight.
async function removeDeadTempFiles(dir: string, target: string): Promise<void> {
  const prefix = `${basename(target)}.tmp-`;
  for (const f of await readdir(dir)) {
    if (f.startsWith(prefix)) await rm(join(dir, f), { recursive: true, force: true });
  }
}

async function stage(spec: GoBuildSpec, stageDir: string): Promise<void> {
  await mkdir(stageDir, { recursive: true });
  for (const f of await wrapperFiles(spec.moduleDir))
    await copyFile(join(spec.moduleDir, f), join(stageDir, f));
}

/** Held while any build compiles, across processes: one big Go build at a time per machine. */
function buildSlotLock(): string {
  return join(binCacheDir(), "go-build.lock");
}

/**
 * Returns the path of the spec's binary, building it on first use. Safe to call from concurrent
 * processes. Throws a clear error when `go` is missing or the build fails (with go's error output).
 */
export async function ensureGoBinary(spec: GoBuildSpec, log: Log = (l) => console.error(l)): Promise<string> {
  const dir = binCacheDir();
  await mkdir(dir, { recursive: true });
  const target = await cachedPath(spec);
  if (await isExecutable(target)) return target;

  return withLock(`${target}.lock`, log, async () => {
    // Another run may have finished the build while we waited for the lock.
    if (await isExecutable(target)) return target;
    const gv = requireGo();
    return withLock(buildSlotLock(), log, async () => {
      log(
        `Building ${spec.name} ${spec.version} from the Go module proxy with ${gv}. This is a one-time ` +
          `build (about ${spec.expectedMinutes} minutes on 2 cores when Go's build cache is cold; much ` +
          `less when warm); the binary is cached at ${target}.`,
      );
      await removeDeadTempFiles(dir, target);
      const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
      const stageDir = `${tmp}-src`;
      const go = goRunnerFor(spec.name, log);
      try {
        let cwd = spec.moduleDir;
        if (spec.prepare) {
          await stage(spec, stageDir);
          await spec.prepare(stageDir, go);
          cwd = stageDir;
        }
        await go(
          [
            "build",
            "-v",
            "-trimpath",
            "-mod=readonly",
            "-buildvcs=false",
            `-ldflags=${spec.ldflags}`,
            "-o",
            tmp,
            spec.pkg,
          ],
          { cwd, what: "building" },
        );
        await rename(tmp, target);
      } finally {
        await rm(tmp, { force: true });
        await rm(stageDir, { recursive: true, force: true });
      }
      return target;
    });
  });
}
