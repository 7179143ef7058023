// The controller under chaos: the shipped command (`node bin/setpoint.mjs run --leader-elect`, the
// compiled build in dist/), one process per replica, as a Deployment runs it. A replica that exits
// on its own is started again after a second, as the kubelet would (without its growing backoff, to
// keep rounds short); one the chaos kills is started again when the chaos says. Every start logs to
// its own file, which the round scans for secrets at the end.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../controlplane/ports.ts";
import { type ManagedProcess, spawnManaged } from "../../controlplane/process.ts";

const SETPOINT = fileURLToPath(new URL("../../bin/setpoint.mjs", import.meta.url));
const RESTART_AFTER_EXIT_MS = 1000;

/** Why a replica's process ended. */
export type ExitCause =
  /** The chaos sent SIGKILL. */
  | "killed"
  /** It lost the Lease (the API server was away too long) and exited, as designed. */
  | "lostLeadership"
  /** It could not start (the API server was away): the command printed its error and exited 1. */
  | "startFailed"
  /** SIGTERM at the end of the round. */
  | "stopped"
  /** Anything else: an uncaught error, a crash. Always a finding. */
  | "crashed";

export interface ReplicaExit {
  replica: number;
  cause: ExitCause;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of its log, for a crash. */
  tail?: string;
}

export interface ReplicaOptions {
  index: number;
  kubeconfig: string;
  logDir: string;
  leaseNamespace: string;
  /** SETPOINT_* settings (poll intervals, request timeout, log level). */
  env: Record<string, string>;
  onExit: (exit: ReplicaExit) => void;
}

export class Replica {
  readonly index: number;
  readonly #o: ReplicaOptions;
  #port = 0;
  #child: ManagedProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #expected: ExitCause | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #closed = false;
  starts = 0;
  readonly logPaths: string[] = [];

  constructor(o: ReplicaOptions) {
    this.index = o.index;
    this.#o = o;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.#port}/metrics`;
  }

  running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    clearTimeout(this.#restartTimer);
    if (this.#child || this.#closed) return;
    if (this.#port === 0) this.#port = await freePort();
    this.starts++;
    const logPath = join(this.#o.logDir, `replica-${this.index}.${this.starts}.log`);
    this.logPaths.push(logPath);
    // spawnManaged: a round that dies (Ctrl-C, SIGKILL) takes its replicas with it.
    const child = spawnManaged({
      name: `setpoint replica ${this.index}`,
      command: process.execPath,
      args: [SETPOINT, "run", "--leader-elect", "--leader-election-namespace", this.#o.leaseNamespace],
      env: {
        ...process.env,
        ...this.#o.env,
        KUBECONFIG: this.#o.kubeconfig,
        SETPOINT_METRICS_ADDRESS: `127.0.0.1:${this.#port}`,
      },
      logPath,
    });
    this.#child = child;
    this.#expected = undefined;
    this.#exited = new Promise((resolve) => {
      void child.exited.then(({ code, signal }) => {
        this.#child = undefined;
        void this.#classify(logPath, code, signal).then((exit) => {
          this.#o.onExit(exit);
          // A replica that ended on its own comes back, as a pod's container would.
          if (exit.cause !== "killed" && exit.cause !== "stopped" && !this.#closed) {
            this.#restartTimer = setTimeout(() => void this.start(), RESTART_AFTER_EXIT_MS);
          }
          resolve();
        });
      });
    });
  }

  async #classify(logPath: string, code: number | null, signal: NodeJS.Signals | null): Promise<ReplicaExit> {
    const base = { replica: this.index, code, signal };
    if (this.#expected) return { ...base, cause: this.#expected };
    const log = await readFile(logPath, "utf8").catch(() => "");
    const tail = log.trimEnd().split("\n").slice(-15).join("\n");
    if (code === 1 && /lost leadership; stopping/.test(tail)) return { ...base, cause: "lostLeadership" };
    // The command's own error line for a start that could not reach the API server.
    if (
      code === 1 &&
      /^setpoint: .*(ECONNREFUSED|ECONNRESET|socket hang up|ETIMEDOUT|timed? ?out)/im.test(tail)
    )
      return { ...base, cause: "startFailed", tail };
    return { ...base, cause: "crashed", tail };
  }

  /** SIGKILL, as a crashed node or an OOM kill would; it stays down until start(). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#expected = "killed";
    child.child.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGTERM and no restart: the end of the round. */
  async stop(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child) return;
    this.#expected = "stopped";
    await child.stop(10_000);
    await this.#exited;
  }

  /** Whether this replica says it leads (its setpoint_leader gauge); false when it does not answer. */
  async isLeader(): Promise<boolean> {
    if (!this.#child) return false;
    try {
      const res = await fetch(this.metricsUrl, { signal: AbortSignal.timeout(2000) });
      return /^setpoint_leader 1$/m.test(await res.text());
    } catch {
      return false;
    }
  }
}

/** The replica that leads now, if one says so. */
export async function leaderOf(replicas: readonly Replica[]): Promise<Replica | undefined> {
  const leading = await Promise.all(replicas.map((r) => r.isLeader()));
  return replicas.find((_, i) => leading[i]);
}
