// Reads a process's memory and CPU from /proc (Linux only), so a benchmark
// can measure a controller that runs as its own process, and the
// kube-apiserver and etcd next to it, without help from inside them.
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: utime and stime in /proc/<pid>/stat count in these ticks; 100 on every mainstream Linux. */
const TICKS_PER_SECOND = 100;

export interface MemoryReading {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size since the process started (VmHWM), bytes. */
  hwm: number;
}

export function memoryOf(pid: number): MemoryReading | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    return { rss: kb("VmRSS") * 1024, hwm: kb("VmHWM") * 1024 };
  } catch {
    return undefined;
  }
}

/** User plus system CPU seconds the process has used so far. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Direct children of this process whose command name (comm, at most 15 characters) starts with
 * `prefix`: the cached binaries are named like kube-apiserver-v1.32.13-<hash>.
 */
export function childPidsNamed(prefix: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && comm.startsWith(prefix)) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** Samples a process's RSS every intervalMs and keeps the peak, and VmHWM as the kernel's own peak. */
export class MemorySampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  peakRss = 0;
  lastRss = 0;
  hwm = 0;
  samples = 0;

  constructor(pid: number, intervalMs = 250) {
    this.#pid = pid;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): void {
    const m = memoryOf(this.#pid);
    if (!m) return;
    this.samples++;
    this.lastRss = m.rss;
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.hwm = Math.max(this.hwm, m.hwm);
  }

  stop(): void {
    this.sample();
    clearInterval(this.#timer);
  }
}

/** CPU seconds used by a set of processes between two moments. */
export class CpuMeter {
  readonly #pids: Record<string, number>;
  #start: Record<string, number> = {};
  #startedAt = 0;

  constructor(pids: Record<string, number>) {
    this.#pids = pids;
  }

  start(): void {
    this.#startedAt = Date.now();
    this.#start = this.#read();
  }

  /** Seconds of CPU per process since start(), and the wall-clock seconds. */
  read(): { wallSeconds: number; cpuSeconds: Record<string, number> } {
    const now = this.#read();
    const cpuSeconds: Record<string, number> = {};
    for (const [name, v] of Object.entries(now)) cpuSeconds[name] = round(v - (this.#start[name] ?? 0), 2);
    return { wallSeconds: round((Date.now() - this.#startedAt) / 1000, 1), cpuSeconds };
  }

  #read(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.#pids)) out[name] = cpuSecondsOf(pid) ?? 0;
    return out;
  }
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
