// Child-process lifecycle for the local test environment: spawn with logs to a file, stop with
// SIGTERM then SIGKILL, and never leave a stray server behind.
//
// Three layers guard against strays, because each covers a way the others cannot:
// 1. stop() in the normal path (callers use try/finally).
// 2. Signal handlers (SIGINT/SIGTERM/SIGHUP) that run every registered cleanup, then exit 128+signo,
//    plus a synchronous SIGKILL of every live child on process 'exit' (uncaught errors, process.exit()).
// 3. A detached reaper process that watches our stdin pipe: if this process dies without cleaning up
//    (SIGKILL, OOM), the pipe closes and the reaper kills the children and removes their directories.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly logPath: string | undefined;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGTERM, wait up to graceMs, then SIGKILL; resolves when the process is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** The last n lines of the log file (empty when the process logs elsewhere). */
  tail(n?: number): Promise<string>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. Without it, stdio is inherited (for the test runner child). */
  logPath?: string;
}

const live = new Set<ManagedProcess>();
const cleanups = new Set<() => Promise<void>>();
const dirsToRemove = new Set<string>();
let handlersInstalled = false;
let shuttingDown = false;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => {
    for (const p of live) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {}
    }
    for (const dir of dirsToRemove) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {}
    }
  });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (shuttingDown) return;
      shuttingDown = true;
      const signo = osConstants.signals[sig];
      void runCleanups().finally(() => process.exit(128 + signo));
    });
  }
}

async function runCleanups(): Promise<void> {
  await Promise.allSettled([...cleanups].map((fn) => fn()));
  await Promise.allSettled([...live].map((p) => p.stop()));
}

/**
 * Registers an async cleanup to run if this process gets SIGINT/SIGTERM/SIGHUP. Returns a function
 * that unregisters it. Installing any cleanup makes those signals exit the process after cleaning up.
 */
export function registerCleanup(fn: () => Promise<void>): () => void {
  installHandlers();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}

/** Removes dir on exit if nothing else did (including via the reaper when this process is killed). */
export function registerTempDir(dir: string): () => void {
  installHandlers();
  dirsToRemove.add(dir);
  reaperSend(`dir ${dir}`);
  return () => {
    dirsToRemove.delete(dir);
    reaperSend(`undir ${dir}`);
  };
}

// The reaper: plain JS run with our own node binary. It reads commands on stdin; EOF means the parent
// is gone without saying goodbye, so it kills what is still registered and removes directories.
const REAPER_SRC = `
const { rmSync } = require("node:fs");
const pids = new Set(), dirs = new Set();
let buf = "", bye = false;
process.on("SIGINT", () => {}); process.on("SIGHUP", () => {});
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d; let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    const sp = line.indexOf(" "), cmd = line.slice(0, sp), arg = line.slice(sp + 1);
    if (cmd === "add") pids.add(Number(arg)); else if (cmd === "del") pids.delete(Number(arg));
    else if (cmd === "dir") dirs.add(arg); else if (cmd === "undir") dirs.delete(arg);
    else if (line === "bye") bye = true;
  }
});
process.stdin.on("end", () => {
  if (bye || (pids.size === 0 && dirs.size === 0)) process.exit(0);
  for (const p of pids) { try { process.kill(p, "SIGTERM"); } catch {} }
  setTimeout(() => {
    for (const p of pids) { try { process.kill(p, "SIGKILL"); } catch {} }
    setTimeout(() => {
      for (const d of dirs) { try { rmSync(d, { recursive: true, force: true }); } catch {} }
      process.exit(0);
    }, 300);
  }, 3000);
});
`;

let reaper: ChildProcess | undefined;

function reaperSend(line: string): void {
  if (!reaper) {
    reaper = spawn(process.execPath, ["-e", REAPER_SRC], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    reaper.unref();
    // The pipe must not keep this process alive; the reaper only needs it to close when we die.
    (reaper.stdin as unknown as { _handle?: { unref?: () => void } })._handle?.unref?.();
    reaper.stdin?.on("error", () => {});
    process.once("exit", () => {
      try {
        reaper?.stdin?.write("bye\n");
      } catch {}
    });
  }
  reaper.stdin?.write(`${line}\n`);
}

export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  installHandlers();
  let fd: number | undefined;
  if (opts.logPath) fd = openSync(opts.logPath, "a");
  const child = spawn(opts.command, [...opts.args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: fd === undefined ? "inherit" : ["ignore", fd, fd],
  });
  if (fd !== undefined) closeSync(fd);

  let isRunning = true;
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      isRunning = false;
      resolve({ code, signal });
    });
    child.once("error", () => {
      isRunning = false;
      resolve({ code: null, signal: null });
    });
  });

  let stopping: Promise<void> | undefined;
  const mp: ManagedProcess = {
    name: opts.name,
    pid: child.pid ?? -1,
    child,
    logPath: opts.logPath,
    exited,
    running: () => isRunning,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (isRunning) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => {
            if (isRunning) child.kill("SIGKILL");
          }, graceMs);
          await exited;
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
    async tail(n = 30) {
      if (!opts.logPath) return "";
      const text = await readFile(opts.logPath, "utf8").catch(() => "");
      return text.trimEnd().split("\n").slice(-n).join("\n");
    },
  };

  if (child.pid !== undefined) {
    live.add(mp);
    reaperSend(`add ${child.pid}`);
    void exited.then(() => {
      live.delete(mp);
      reaperSend(`del ${child.pid}`);
    });
  }
  return mp;
}
