// V8 settings for a long-lived controller, chosen from the container's memory limit, and the re-exec
// that applies them. Plain JavaScript without imports beyond node:, so the launcher can call it before
// the program is loaded (V8 reads heap sizes once, when the isolate starts: they cannot be set later).
//
// Why these, by bench/README.md's figures (setpoint run, 1,000 resources, apply burst then steady):
//   --max-semi-space-size=2   the young generation is capped at 2 MB semi-spaces instead of growing to
//                             32 MB under an allocation burst and staying committed; the controller's
//                             objects are short-lived JSON, so a small nursery costs few promotions.
//   --optimize-for-size       V8 grows the old generation more slowly and gives pages back sooner.
//                             Not allowed in NODE_OPTIONS, hence the re-exec.
//   --v8-pool-size=1          one V8 background thread (concurrent marking, compilation) instead of
//                             four: fewer thread stacks and malloc arenas; the controller waits on I/O.
//   --max-old-space-size      from the cgroup limit, so V8 collects harder before the kernel's OOM
//                             killer would strike, and fails with a heap-limit error that names the
//                             cause if the live set truly outgrows the pod.
//   MALLOC_ARENA_MAX=2        (environment) glibc keeps two malloc arenas rather than eight per core,
//                             so memory freed by other threads is reused rather than kept per thread.
import { readFileSync } from "node:fs";

/** Memory the old generation must leave for code, the young generation, buffers and the node binary. */
const RESERVE_MB = 96;

/** The cgroup's memory limit in bytes (v2 memory.max, else v1 memory.limit_in_bytes); undefined when unlimited. */
export function cgroupMemoryLimit(read = (p) => readFileSync(p, "utf8")) {
  for (const path of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    let text;
    try {
      text = read(path).trim();
    } catch {
      continue;
    }
    if (text === "max") return undefined;
    const bytes = Number(text);
    // cgroup v1 writes a huge number (about 2^63) for "no limit".
    if (Number.isFinite(bytes) && bytes > 0 && bytes < 2 ** 50) return bytes;
    return undefined;
  }
  return undefined;
}

/** The old-space ceiling in MB for a memory limit: three quarters of it, and at least RESERVE_MB below it. */
export function oldSpaceMbFor(limitBytes) {
  const limitMb = Math.floor(limitBytes / 1024 / 1024);
  return Math.max(64, Math.min(Math.floor(limitMb * 0.75), limitMb - RESERVE_MB));
}

/** What the re-exec puts in the environment, unless it is set already. */
export const HEAP_ENV = { MALLOC_ARENA_MAX: "2" };

/** The V8 flags for a controller process under `limitBytes` (undefined: no limit, no ceiling). */
export function heapFlags(limitBytes) {
  const flags = ["--max-semi-space-size=2", "--optimize-for-size", "--v8-pool-size=1"];
  if (limitBytes !== undefined) flags.push(`--max-old-space-size=${oldSpaceMbFor(limitBytes)}`);
  return flags;
}

/** The flags of `wanted` that neither the command line nor NODE_OPTIONS already set (by name). */
export function missingFlags(wanted, execArgv, nodeOptions = "") {
  const given = new Set(
    [...execArgv, ...nodeOptions.split(/\s+/)]
      .filter((f) => f.startsWith("--"))
      .map((f) => f.split("=")[0].replace(/_/g, "-")),
  );
  return wanted.filter((f) => !given.has(f.split("=")[0]));
}

/**
 * Re-executes this process (process.execve: the same pid, no second process) with the heap flags it
 * lacks, unless SETPOINT_HEAP_FLAGS=off, the flags are all given already, or this Node has no execve.
 * Returns only when nothing was to be done.
 */
export function reexecWithHeapFlags(env = process.env) {
  if (env.SETPOINT_HEAP_FLAGS === "off" || env.SETPOINT_HEAP_FLAGS_APPLIED === "1") return;
  if (typeof process.execve !== "function") return;
  const missing = missingFlags(heapFlags(cgroupMemoryLimit()), process.execArgv, env.NODE_OPTIONS);
  if (missing.length === 0) return;
  process.execve(
    process.execPath,
    [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)],
    { ...HEAP_ENV, ...env, SETPOINT_HEAP_FLAGS_APPLIED: "1" },
  );
}
