// Builds the test control plane (kube-apiserver and etcd) from the Go module proxy, once per machine.
//
// Why build instead of download: the only network this project may use is the package registries, and
// the Go module proxy is one of them. The wrapper modules in controlplane/kube-apiserver and
// controlplane/etcd pin the versions; this file turns them into cached binaries.
//
// Cache layout: <cache>/setpoint/bin/<name>-<version>-<hash8>, where hash8 covers the wrapper's go.mod,
// go.sum, any .go files and the build flags, so editing a wrapper rebuilds and never reuses a stale binary.
// Builds write to a temp file in the same directory and rename it into place (atomic on one filesystem),
// and a lock file keeps two concurrent runs from compiling the same thing twice on a 2-core machine.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Log } from "./lock.ts";
import { withLock } from "./lock.ts";

export type { Log };

export const KUBERNETES_VERSION = "v1.32.13";
export const ETCD_VERSION = "v3.5.24";

export interface Binaries {
  kubeApiserver: string;
  etcd: string;
}

const here = dirname(fileURLToPath(import.meta.url));

interface BuildSpec {
  name: "kube-apiserver" | "etcd";
  version: string;
  moduleDir: string;
  pkg: string;
  ldflags: string;
  expectedMinutes: string;
}

// kube-apiserver reads its own version from component-base at run time (the /version endpoint and the
// compatibility/emulation version in 1.31+), so it must be stamped; a plain `go build` reports v0.0.0.
function kubeLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, "").split(".");
  const pkg = "k8s.io/component-base/version";
  return [
    "-s",
    "-w",
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(" ");
}

const SPECS: readonly BuildSpec[] = [
  {
    name: "etcd",
    version: ETCD_VERSION,
    moduleDir: join(here, "etcd"),
    pkg: ".",
    // etcd's version is a constant in go.etcd.io/etcd/api/v3/version: nothing to stamp.
    ldflags: "-s -w",
    expectedMinutes: "1-2",
  },
  {
    name: "kube-apiserver",
    version: KUBERNETES_VERSION,
    moduleDir: join(here, "kube-apiserver"),
    pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
    ldflags: kubeLdflags(),
    expectedMinutes: "4-8",
  },
];

/** `$XDG_CACHE_HOME/setpoint/bin`, else `~/.cache/setpoint/bin`. */
export function binCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && xdg.length > 0 ? xdg : join(homedir(), ".cache");
  return join(base, "setpoint", "bin");
}

async function specHash(spec: BuildSpec): Promise<string> {
  const h = createHash("sha256");
  const files = (await readdir(spec.moduleDir))
    .filter((f) => f === "go.mod" || f === "go.sum" || f.endsWith(".go"))
    .sort();
  for (const f of files) {
    h.update(`${f}\0`);
    h.update(await readFile(join(spec.moduleDir, f)));
    h.update("\0");
  }
  h.update(`pkg=${spec.pkg}\0ldflags=${spec.ldflags}\0`);
  return h.digest("hex").slice(0, 8);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function requireGo(): string {
  const r = spawnSync("go", ["version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(
      "The end-to-end tests build kube-apiserver and etcd from source and need the Go toolchain, " +
        "but `go` was not found on PATH. Install Go 1.24 or newer (https://go.dev/doc/install, or your " +
        "package manager), make sure `go version` works, and run again.",
    );
  }
  return r.stdout.trim();
}

const PACKAGE_LINE = /^[A-Za-z0-9_.~+-]+(\/[A-Za-z0-9_.~+-]+)*$/;

async function goBuild(spec: BuildSpec, out: string, log: Log): Promise<void> {
  const args = [
    "build",
    "-v",
    "-trimpath",
    "-mod=readonly",
    "-buildvcs=false",
    `-ldflags=${spec.ldflags}`,
    "-o",
    out,
    spec.pkg,
  ];
  const started = Date.now();
  let compiled = 0;
  let lastPkg = "";
  const otherLines: string[] = [];
  const child = spawn("go", args, { cwd: spec.moduleDir, stdio: ["ignore", "pipe", "pipe"] });
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
    log(`  ${spec.name}: still building, ${secs}s elapsed, ${compiled} packages compiled (last: ${lastPkg})`);
  }, 15_000);

  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c));
    });
    if (buf.trim() !== "" && !PACKAGE_LINE.test(buf.trim())) otherLines.push(buf);
    if (code !== 0) {
      const tail = otherLines.slice(-80).join("\n");
      throw new Error(
        `go build of ${spec.name} ${spec.version} failed (exit ${code}) in ${spec.moduleDir}:\n${tail}`,
      );
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    log(`  ${spec.name}: built in ${secs}s (${compiled} packages compiled)`);
  } finally {
    clearInterval(heartbeat);
    process.removeListener("exit", onKill);
  }
}

// A run killed mid-build leaves <target>.tmp-<pid>-<ms>; under the lock, any such file is dead weight.
async function removeDeadTempFiles(dir: string, target: string): Promise<void> {
  const prefix = `${basename(target)}.tmp-`;
  for (const f of await readdir(dir)) {
    if (f.startsWith(prefix)) await rm(join(dir, f), { force: true });
  }
}

async function ensureOne(spec: BuildSpec, dir: string, log: Log, goVersion: () => string): Promise<string> {
  const target = join(dir, `${spec.name}-${spec.version}-${await specHash(spec)}`);
  if (await isExecutable(target)) return target;

  return withLock(`${target}.lock`, log, async () => {
    // Another run may have finished the build while we waited for the lock.
    if (await isExecutable(target)) return target;
    const gv = goVersion();
    log(
      `Building ${spec.name} ${spec.version} from the Go module proxy with ${gv}. This is a one-time ` +
        `build (about ${spec.expectedMinutes} minutes on 2 cores when Go's build cache is cold; much ` +
        `less when warm); the binary is cached at ${target}.`,
    );
    await removeDeadTempFiles(dir, target);
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    try {
      await goBuild(spec, tmp, log);
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
    }
    return target;
  });
}

/**
 * Returns paths to kube-apiserver and etcd, building them on first use. Safe to call from concurrent
 * processes. Throws a clear error when `go` is missing or a build fails (with go's error output).
 */
export async function ensureBinaries(log: Log = (l) => console.error(l)): Promise<Binaries> {
  const dir = binCacheDir();
  await mkdir(dir, { recursive: true });
  let gv: string | undefined;
  const goVersion = () => {
    gv ??= requireGo();
    return gv;
  };
  // Sequential on purpose: go build already uses every core.
  const paths: Record<string, string> = {};
  for (const spec of SPECS) paths[spec.name] = await ensureOne(spec, dir, log, goVersion);
  return { kubeApiserver: paths["kube-apiserver"] as string, etcd: paths.etcd as string };
}

// `npx tsx controlplane/binaries.ts` builds (or finds) the binaries and prints their paths.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await ensureBinaries();
  console.log(`kube-apiserver: ${b.kubeApiserver}\netcd: ${b.etcd}`);
}
