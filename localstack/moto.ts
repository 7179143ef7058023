// Runs moto's standalone server (a Python AWS emulator) for tests and the demo.
//
// moto lives in a project-local venv (.venv/, gitignored) installed from localstack/requirements.txt,
// a complete pinned lock, so every machine runs the same emulator. A stamp file records the hash of
// the requirements and the Python version that were installed, so the install runs once.

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Log, withLock } from "../controlplane/lock.ts";
import { freePort, sleep } from "../controlplane/ports.ts";
import { registerCleanup, registerTempDir, spawnManaged } from "../controlplane/process.ts";
import { type SeedResult, seedEmulator } from "./seed.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, "..");
export const REQUIREMENTS = join(here, "requirements.txt");
export const VENV_DIR = join(REPO_ROOT, ".venv");
const STAMP = join(VENV_DIR, ".setpoint-requirements");
const MIN_PYTHON: readonly [number, number] = [3, 11];

export interface MotoVenv {
  python: string;
  motoServer: string;
}

function venvPaths(venv: string): MotoVenv {
  return { python: join(venv, "bin", "python"), motoServer: join(venv, "bin", "moto_server") };
}

function checkPython(): string {
  const r = spawnSync("python3", ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], {
    encoding: "utf8",
  });
  if (r.error || r.status !== 0) {
    throw new Error(
      "The end-to-end tests run moto (an AWS emulator written in Python) and need python3 " +
        `${MIN_PYTHON.join(".")} or newer on PATH, but \`python3\` was not found. Install it (Debian/Ubuntu: ` +
        "apt-get install python3 python3-venv) and run again.",
    );
  }
  const version = r.stdout.trim();
  const [maj = 0, min = 0] = version.split(".").map(Number);
  if (maj < MIN_PYTHON[0] || (maj === MIN_PYTHON[0] && min < MIN_PYTHON[1])) {
    throw new Error(
      `python3 is ${version}, but localstack/requirements.txt pins packages that need Python ` +
        `${MIN_PYTHON.join(".")} or newer. Install a newer python3 and run again.`,
    );
  }
  const venv = spawnSync("python3", ["-c", "import venv, ensurepip"], { encoding: "utf8" });
  if (venv.status !== 0) {
    throw new Error(
      `python3 ${version} has no working venv module (needed to install moto into .venv/). ` +
        "On Debian/Ubuntu: apt-get install python3-venv. Then run again.",
    );
  }
  return version;
}

async function requirementsKey(pythonVersion: string): Promise<string> {
  const h = createHash("sha256");
  h.update(await readFile(REQUIREMENTS));
  h.update(`\0python=${pythonVersion}`);
  return h.digest("hex");
}

/**
 * Ensures .venv/ holds moto from localstack/requirements.txt; skips the install when the stamp matches.
 * Throws a clear error when python3 or its venv module is missing, or when pip fails (with its output).
 */
export async function ensureMotoVenv(log: Log = (l) => console.error(l)): Promise<MotoVenv> {
  const paths = venvPaths(VENV_DIR);
  // Fast path without spawning python: a stamp whose key matches what this python would produce is
  // checked below; here we only need the stamp to exist and moto_server to be in place.
  const stamp = await readFile(STAMP, "utf8").catch(() => "");
  if (stamp !== "" && existsSync(paths.motoServer)) {
    const [key, pyVersion] = stamp.trim().split(" ");
    if (pyVersion && key === (await requirementsKey(pyVersion))) return paths;
  }

  const pyVersion = checkPython();
  const key = await requirementsKey(pyVersion);
  return withLock(`${VENV_DIR}.lock`, log, async () => {
    const again = await readFile(STAMP, "utf8").catch(() => "");
    if (again.trim() === `${key} ${pyVersion}` && existsSync(paths.motoServer)) return paths;

    const started = Date.now();
    log(
      `Installing moto into ${VENV_DIR} from localstack/requirements.txt with Python ${pyVersion}. ` +
        "This is a one-time step (about 30-90 seconds, it downloads from PyPI).",
    );
    // A venv from another Python version (or a half-finished one) is not worth repairing.
    await rm(VENV_DIR, { recursive: true, force: true });
    run("python3", ["-m", "venv", VENV_DIR], "python3 -m venv");
    await runWithHeartbeat(
      paths.python,
      ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", REQUIREMENTS],
      "pip install",
      log,
    );
    await writeFile(STAMP, `${key} ${pyVersion}\n`);
    log(`  moto installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return paths;
  });
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error || r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status}):\n${r.stderr || r.stdout || r.error?.message}`);
  }
}

async function runWithHeartbeat(cmd: string, args: string[], what: string, log: Log): Promise<void> {
  const started = Date.now();
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const onExit = () => child.kill("SIGTERM");
  process.once("exit", onExit);
  let out = "";
  let packages = 0;
  let lastLine = "";
  const collect = (d: Buffer) => {
    const s = d.toString("utf8");
    out += s;
    packages += (s.match(/^Collecting /gm) ?? []).length;
    const lines = s.trim().split("\n");
    lastLine = lines[lines.length - 1] ?? lastLine;
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const beat = setInterval(() => {
    const secs = Math.round((Date.now() - started) / 1000);
    log(`  ${what}: ${secs}s elapsed, ${packages} packages collected (${lastLine.trim().slice(0, 80)})`);
  }, 15_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    if (code !== 0) {
      throw new Error(`${what} failed (exit ${code}):\n${out.trimEnd().split("\n").slice(-60).join("\n")}`);
    }
  } finally {
    clearInterval(beat);
    process.removeListener("exit", onExit);
  }
}

export interface MotoOptions {
  venv?: MotoVenv;
  log?: Log;
  /** Default 60s. */
  startTimeoutMs?: number;
  /** Seed the fixed VPC/subnets/security group/DB subnet group after start. Default true. */
  seed?: boolean;
}

export interface Moto {
  /** http://localhost:<port>: the AWS endpoint to give SDK clients and ProviderConfig spec.endpoint. */
  endpoint: string;
  port: number;
  /** What seeding created (undefined when started with seed: false). */
  seed: SeedResult | undefined;
  /** POST /moto-api/reset (drops every resource in every service), then seeds again. */
  reset(): Promise<SeedResult>;
  /** SIGTERM (then SIGKILL) and remove the log dir. Idempotent. */
  stop(): Promise<void>;
  logPath: string;
}

/** Resets a running moto (POST /moto-api/reset) and seeds it again. */
export async function resetAndSeed(endpoint: string): Promise<SeedResult> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`POST ${endpoint}/moto-api/reset answered ${res.status}`);
  return seedEmulator(endpoint);
}

export async function startMoto(opts: MotoOptions = {}): Promise<Moto> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const venv = opts.venv ?? (await ensureMotoVenv(log));
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const dir = await mkdtemp(join(tmpdir(), "setpoint-moto-"));
  const unregisterDir = registerTempDir(dir);

  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const logPath = join(dir, `moto${attempt ? `.${attempt}` : ""}.log`);
    const proc = spawnManaged({
      name: "moto_server",
      command: venv.motoServer,
      args: ["-H", "127.0.0.1", "-p", String(port)],
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
      logPath,
    });
    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        await proc.stop();
        await rm(dir, { recursive: true, force: true });
        unregisterDir();
        unregisterCleanup();
      })();
      return stopped;
    };
    const unregisterCleanup = registerCleanup(stop);
    const endpoint = `http://localhost:${port}`;

    try {
      const deadline = Date.now() + timeoutMs;
      let last = "";
      for (;;) {
        if (!proc.running()) {
          const tail = await proc.tail(30);
          if (/address already in use/i.test(tail) && attempt < 2) throw new RetryPort();
          throw new Error(`moto_server exited before it was ready. Last lines of its log:\n${tail}`);
        }
        try {
          const r = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
          if (r.ok) break;
          last = `HTTP ${r.status}`;
        } catch (err) {
          last = (err as Error).message;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out after ${timeoutMs / 1000}s waiting for moto_server at ${endpoint} (last: ${last}). ` +
              `Last lines of its log:\n${await proc.tail(30)}`,
          );
        }
        await sleep(150);
      }
      const seed = opts.seed === false ? undefined : await seedEmulator(endpoint);
      return { endpoint, port, seed, logPath, stop, reset: () => resetAndSeed(endpoint) };
    } catch (err) {
      if (err instanceof RetryPort) {
        await proc.stop();
        unregisterCleanup();
        continue;
      }
      await stop();
      throw err;
    }
  }
}

class RetryPort extends Error {}

// `npx tsx localstack/moto.ts` starts a seeded moto and keeps it up until Ctrl-C.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const m = await startMoto();
  console.log(`moto: ${m.endpoint}\nseed: ${JSON.stringify(m.seed)}\n(Ctrl-C to stop)`);
  await new Promise(() => {});
}
