// Starts test/support/widget-controller.ts as a real child process and
// follows the JSON lines it prints.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { kubeconfigPath, waitFor } from "./env.ts";

const SCRIPT = fileURLToPath(new URL("./widget-controller.ts", import.meta.url));

export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

export class ChildController {
  readonly process: ChildProcess;
  readonly events: ChildEvent[] = [];
  readonly stderr: string[] = [];
  #exited: Promise<number | null>;

  constructor(env: Record<string, string>) {
    this.process = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), SCRIPT], {
      env: { ...process.env, KUBECONFIG: kubeconfigPath(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.process.stdout! }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as ChildEvent);
      } catch {
        // Not one of ours (e.g. a warning); ignored.
      }
    });
    createInterface({ input: this.process.stderr! }).on("line", (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 200) this.stderr.shift();
    });
    this.#exited = new Promise((resolve) => this.process.once("exit", (code) => resolve(code)));
  }

  has(event: string): boolean {
    return this.events.some((e) => e.event === event);
  }

  async waitFor(event: string, timeoutMs = 30_000): Promise<ChildEvent> {
    return waitFor(() => this.events.find((e) => e.event === event), {
      what: `the controller process to report "${event}" (stderr: ${this.stderr.slice(-5).join(" | ")})`,
      timeoutMs,
      intervalMs: 50,
    }) as Promise<ChildEvent>;
  }

  /** SIGKILL: the process dies without releasing anything, like a crashed pod. */
  async kill(): Promise<void> {
    this.process.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGTERM: graceful shutdown. Resolves with the exit code. */
  async terminate(): Promise<number | null> {
    this.process.kill("SIGTERM");
    return this.#exited;
  }

  exited(): Promise<number | null> {
    return this.#exited;
  }
}
