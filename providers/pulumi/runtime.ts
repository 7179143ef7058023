// What one controller needs to run Pulumi at all, set up once at start: the SDK and the programs from
// the programs folder, the CLI (its version must be the SDK's), the folder the operations work in, the
// node plugin for dynamic providers, and the limit on operations at once.
//
// Why a limit of its own: a Pulumi operation starts the CLI (a 120 MB Go binary) and its plugins and
// costs about a CPU-second however small the stack (bench/pulumi.ts), some 10⁴ times one cloud API call.
// The engine's --concurrency (16 reconciles at once) is sized for API calls; 16 Pulumi operations at
// once would starve the controller of CPU. The engine's queue already keeps one operation per stack.
import { execFile } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { PulumiCli } from "./command.ts";
import { loadPrograms, type Program } from "./programs.ts";
import { loadSdk, type PulumiSdk } from "./sdk.ts";

const run = promisify(execFile);

export const PULUMI_DEFAULTS = {
  /** Operations at once. Each keeps about one core busy for a second or two. */
  concurrency: 2,
  /** A steady stack's poll: minutes, for an operation that costs a CPU-second. */
  pollIntervalMs: 10 * 60_000,
  /** While a stack converges (after an up, to verify it). */
  convergingPollIntervalMs: 30_000,
  /** An operation still running after this is interrupted (and its lock may then be judged stale). */
  operationTimeoutMs: 30 * 60_000,
} as const;

export interface PulumiLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface PulumiRuntimeOptions {
  /** The programs folder; @pulumi/pulumi must resolve from it. */
  programsDir: string;
  /** The pulumi CLI binary. */
  cli: string;
  /** A plugins folder laid out as `pulumi plugin install` leaves PULUMI_HOME/plugins. */
  pluginsDir?: string;
  /** Where workspaces, per-stack PULUMI_HOMEs and the node plugin go; default <tmp>/setpoint-pulumi. */
  workDir?: string;
  /** Allows spec.stateRef.local: stacks keep their state under <dir>/<namespace>. */
  localStateDir?: string;
  concurrency?: number;
  operationTimeoutMs?: number;
  /** The leader Lease's duration, for judging locks (locks.ts). */
  leaseDurationMs?: number;
  /** Aborted when the controller shuts down: running operations are interrupted cleanly. */
  shutdown?: AbortSignal;
  log?: PulumiLog;
}

/** A FIFO semaphore: at most `size` holders at once. */
export class Slots {
  readonly #size: number;
  #used = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!(size >= 1)) throw new RangeError(`need at least one slot, got ${size}`);
    this.#size = size;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#used >= this.#size) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#used++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#used--;
    }
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

/** Errors that programs threw, already reported through the operation they failed. */
const programErrors = new WeakSet<object>();

export function rememberProgramError(err: unknown): void {
  if (typeof err === "object" && err !== null) programErrors.add(err);
}

let guarded = false;

/**
 * Programs run in this process, and when one throws, the Pulumi SDK leaves some of its own promises
 * (the stack's outputs) rejected with no handler, after the operation has already failed with that
 * error. Node's default answer to an unhandled rejection is to end the process, so one tenant's broken
 * program would stop the controller for everyone. With programs served, an unhandled rejection is
 * logged instead: at debug level when it is a program's error already reported, else as an error.
 */
function guardUnhandledRejections(log: PulumiLog | undefined): void {
  if (guarded) return;
  guarded = true;
  process.on("unhandledRejection", (reason) => {
    if (typeof reason === "object" && reason !== null && programErrors.has(reason)) {
      log?.debug(
        { err: String(reason) },
        "a failed program left a promise rejected; its operation reported it",
      );
      return;
    }
    log?.warn(
      { err: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) },
      "unhandled promise rejection (kept running: Pulumi programs run in this process)",
    );
  });
}

export class PulumiRuntime {
  readonly options: PulumiRuntimeOptions;
  readonly sdk: PulumiSdk;
  readonly cli: PulumiCli;
  readonly programs: Map<string, Program>;
  readonly slots: Slots;
  /**
   * One program running at a time in this process. The Node SDK keeps the running program's stack and
   * settings in module globals (pulumi/pulumi#5449), so two inline programs at once see each other's:
   * a test caught one stack's preview failing with another stack's program error. Operations that run
   * no program (refresh, destroy, tags) are not held by it: the poll, a refresh, still runs in parallel.
   */
  readonly programSlot = new Slots(1);
  readonly workDir: string;
  /** Holds pulumi-resource-pulumi-nodejs; first on the CLI's PATH. */
  readonly binDir: string;
  readonly hostname = hostname();
  readonly startedAt = Date.now();
  /** Stacks ("project/stack") with operations of this process running now, and how many. */
  readonly running = new Map<string, number>();
  /** Per stack, the fingerprints of the config last set in its workspace (session.ts ensureConfig). */
  readonly configSet = new Map<string, string>();
  readonly operationTimeoutMs: number;
  readonly log: PulumiLog | undefined;

  private constructor(
    o: PulumiRuntimeOptions,
    sdk: PulumiSdk,
    cli: PulumiCli,
    programs: Map<string, Program>,
    workDir: string,
  ) {
    this.options = o;
    this.sdk = sdk;
    this.cli = cli;
    this.programs = programs;
    this.slots = new Slots(o.concurrency ?? PULUMI_DEFAULTS.concurrency);
    this.workDir = workDir;
    this.binDir = join(workDir, "bin");
    this.operationTimeoutMs = o.operationTimeoutMs ?? PULUMI_DEFAULTS.operationTimeoutMs;
    this.log = o.log;
  }

  static async start(options: PulumiRuntimeOptions): Promise<PulumiRuntime> {
    // Absolute, for module resolution and symlinks whatever the working directory.
    const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(p));
    const o: PulumiRuntimeOptions = {
      ...options,
      programsDir: resolve(options.programsDir),
      ...(options.pluginsDir ? { pluginsDir: abs(options.pluginsDir) } : {}),
      ...(options.workDir ? { workDir: abs(options.workDir) } : {}),
      ...(options.localStateDir ? { localStateDir: abs(options.localStateDir) } : {}),
    };
    const sdk = loadSdk(o.programsDir);
    const workDir = o.workDir ?? join(tmpdir(), "setpoint-pulumi");
    await mkdir(join(workDir, "bin"), { recursive: true });
    const version = await cliVersion(o.cli, join(workDir, "home"));
    if (version !== sdk.version) {
      throw new Error(
        `the Pulumi CLI ${o.cli} is ${version}, but the programs folder's @pulumi/pulumi is ${sdk.version}: pin both to one version`,
      );
    }
    // Pulumi looks for the node dynamic-provider plugin on PATH. Its own launcher (in @pulumi/pulumi)
    // runs whatever `node` is on PATH from the CLI's working folder; this one runs this controller's
    // Node, from the program's folder, where the provider's `require`s must resolve.
    const shim = join(workDir, "bin", "pulumi-resource-pulumi-nodejs");
    await writeFile(
      shim,
      `#!/bin/sh\ncd "$SETPOINT_PULUMI_PROGRAM_DIR" || exit 1\nexec ${shellQuote(process.execPath)} ${shellQuote(sdk.dynamicProviderScript)} "$@"\n`,
    );
    await chmod(shim, 0o755);
    if (o.localStateDir) await mkdir(o.localStateDir, { recursive: true });
    const cli = new PulumiCli({
      sdk,
      binary: o.cli,
      version,
      ...(o.shutdown ? { shutdown: o.shutdown } : {}),
    });
    const programs = await loadPrograms(o.programsDir);
    const rt = new PulumiRuntime(o, sdk, cli, programs, workDir);
    guardUnhandledRejections(o.log);
    o.log?.info(
      {
        programs: [...programs.values()].map((p) => p.id),
        broken: [...programs.values()].filter((p) => p.loadError).map((p) => p.loadError),
        pulumi: version,
        concurrency: o.concurrency ?? PULUMI_DEFAULTS.concurrency,
      },
      "serving Pulumi programs",
    );
    return rt;
  }

  /** The PATH every CLI gets: the node plugin, this controller's Node, the system's tools. */
  get path(): string {
    return [this.binDir, dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(delimiter);
  }
}

async function cliVersion(cli: string, home: string): Promise<string> {
  try {
    const { stdout } = await run(cli, ["version"], {
      env: { PATH: process.env.PATH ?? "", PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_HOME: home, HOME: home },
    });
    return stdout.trim().replace(/^v/, "");
  } catch (err) {
    throw new Error(`the Pulumi CLI ${cli} does not run: ${(err as Error).message}`);
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
