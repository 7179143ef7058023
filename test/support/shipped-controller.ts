// The shipped command, `bin/setpoint.mjs run`, as a child process against the
// test kube-apiserver, with its JSON log lines kept for assertions and its
// health endpoint at hand. scripts/test.ts builds dist/ before e2e tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort } from "../../controlplane/ports.ts";
import { kubeconfigPath, waitFor } from "./env.ts";

const SETPOINT = fileURLToPath(new URL("../../bin/setpoint.mjs", import.meta.url));

export interface LogLine {
  level?: number;
  msg?: string;
  resource?: string;
  [key: string]: unknown;
}

export class ShippedController {
  readonly #process: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly metrics: string;
  readonly lines: LogLine[] = [];
  readonly #raw: string[] = [];

  private constructor(env: Record<string, string>, metrics: string) {
    this.metrics = metrics;
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("SETPOINT_") && k !== "KUBECONFIG"),
    );
    this.#process = spawn(process.execPath, [SETPOINT, "run"], {
      env: {
        ...inherited,
        KUBECONFIG: kubeconfigPath(),
        SETPOINT_METRICS_ADDRESS: metrics,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      createInterface({ input: stream! }).on("line", (line) => {
        this.#raw.push(line);
        if (this.#raw.length > 400) this.#raw.shift();
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line of ours
        }
      });
    }
    this.#exited = new Promise((resolve) => this.#process.once("exit", (code) => resolve(code)));
  }

  /** Starts `setpoint run` with `env` (SETPOINT_* flags) and waits until /readyz answers 200. */
  static async start(env: Record<string, string>): Promise<ShippedController> {
    const c = new ShippedController(env, `127.0.0.1:${await freePort()}`);
    await waitFor(() => c.get("/readyz"), {
      what: `setpoint run to answer /readyz (output: ${c.tail()})`,
      until: (s) => s === 200,
      timeoutMs: 60_000,
    });
    return c;
  }

  /** The HTTP status of GET `path` on the metrics address; 0 when nothing answers. */
  async get(path: string): Promise<number> {
    try {
      return (await fetch(`http://${this.metrics}${path}`, { signal: AbortSignal.timeout(5000) })).status;
    } catch {
      return 0;
    }
  }

  async metricsText(): Promise<string> {
    return (await fetch(`http://${this.metrics}/metrics`)).text();
  }

  get running(): boolean {
    return this.#process.exitCode === null && this.#process.signalCode === null;
  }

  /** The last lines it printed, for failure messages. */
  tail(n = 20): string {
    return this.#raw.slice(-n).join("\n");
  }

  /** SIGTERM, and the exit code; SIGKILL after 15s. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.#process.exitCode;
    this.#process.kill("SIGTERM");
    const timer = setTimeout(() => this.#process.kill("SIGKILL"), 15_000);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
