// How the Pulumi CLI is run: in place of the automation API's own PulumiCommand, which starts the CLI
// with this process's whole environment. The controller's environment holds its Kubernetes service
// account (KUBERNETES_SERVICE_HOST makes the kubernetes provider use it) and possibly its own AWS
// role; a tenant's program must see neither. So every CLI runs with only the environment built for
// its stack (workspace.ts), in a process group of its own, which is interrupted (SIGINT, so Pulumi
// cancels cleanly and releases its lock) when the operation is aborted or times out, killed 30s later
// if it has not ended, and killed at once when this process exits, so no CLI outlives the controller.
import { type ChildProcess, spawn } from "node:child_process";
import type { CommandResultLike, PulumiSdk } from "./sdk.ts";

/** How long a CLI gets between SIGINT and SIGKILL. */
export const KILL_GRACE_MS = 30_000;
/** Bound for the short commands that automation runs without a signal (stack init, tag set, config). */
export const SHORT_COMMAND_TIMEOUT_MS = 5 * 60_000;
/** Most stderr kept for an error message. */
const STDERR_LIMIT = 256 * 1024;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) killGroup(child, "SIGKILL");
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Gone already.
  }
}

/** CLIs running now; for tests and shutdown. */
export function runningClis(): number {
  return live.size;
}

export interface CliOptions {
  sdk: PulumiSdk;
  /** The pulumi binary. */
  binary: string;
  /** What `pulumi version` printed, without the "v". */
  version: string;
  /** Ends every CLI of this controller: its shutdown. */
  shutdown?: AbortSignal;
}

/**
 * The automation API's command interface (LocalWorkspaceOptions.pulumiCommand): `command`, `version`
 * and `run`, whose arguments are automation's, and whose env holds everything the CLI gets.
 */
export class PulumiCli {
  readonly command: string;
  readonly version: unknown;
  readonly #o: CliOptions;

  constructor(o: CliOptions) {
    this.#o = o;
    this.command = o.binary;
    this.version = o.sdk.semver(o.version);
    installExitHook();
  }

  run(
    args: string[],
    cwd: string,
    env: Record<string, string>,
    onOutput?: (data: string) => void,
    onError?: (data: string) => void,
    signal?: AbortSignal,
  ): Promise<CommandResultLike> {
    const { sdk } = this.#o;
    // The controller names the stack in every command (--stack), so selecting it in the workspace
    // would only cost a CLI start; whether it exists, the next command finds out.
    if (args[0] === "stack" && args[1] === "select") return Promise.resolve(sdk.commandResult("", "", 0));
    const argv = args.includes("--non-interactive") ? args : [...args, "--non-interactive"];
    const stop = AbortSignal.any(
      [signal ?? AbortSignal.timeout(SHORT_COMMAND_TIMEOUT_MS), this.#o.shutdown].filter(
        (s): s is AbortSignal => s !== undefined,
      ),
    );
    return new Promise((resolve, reject) => {
      const child = spawn(this.command, argv, {
        cwd,
        env: { ...env, PULUMI_AUTOMATION_API: "true" },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
      live.add(child);
      const out: Buffer[] = [];
      let err = "";
      child.stdout?.on("data", (d: Buffer) => {
        out.push(d);
        onOutput?.(d.toString());
      });
      child.stderr?.on("data", (d: Buffer) => {
        err = (err + d.toString()).slice(-STDERR_LIMIT);
        onError?.(d.toString());
      });
      let killer: NodeJS.Timeout | undefined;
      const abort = () => {
        killGroup(child, "SIGINT");
        killer = setTimeout(() => killGroup(child, "SIGKILL"), KILL_GRACE_MS);
        killer.unref();
      };
      if (stop.aborted) abort();
      else stop.addEventListener("abort", abort, { once: true });
      let done = false;
      const finish = (code: number, extra = "") => {
        if (done) return;
        done = true;
        live.delete(child);
        clearTimeout(killer);
        stop.removeEventListener("abort", abort);
        const result = sdk.commandResult(Buffer.concat(out).toString(), err + extra, code);
        if (code === 0) resolve(result);
        else reject(sdk.commandError(result));
      };
      child.once("error", (e) => finish(-2, `\n${e.message}`));
      child.once("close", (code, sig) => {
        const why = stop.aborted ? `\n${abortReason(stop)}` : sig ? `\nthe CLI was killed by ${sig}` : "";
        finish(code ?? -1, why);
      });
    });
  }
}

function abortReason(signal: AbortSignal): string {
  const r = signal.reason as { name?: string; message?: string } | undefined;
  if (r?.name === "TimeoutError") return "the operation did not finish in time and was interrupted";
  return r?.message ? `interrupted: ${r.message}` : "interrupted: the controller is shutting down";
}
