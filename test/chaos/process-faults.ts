// Faults on the processes: the controller's replicas and the control plane under them. One fault at a
// time, at seeded moments; each is over (the API server answers again, a killed replica has been
// started again or is due to be) before the next is drawn.
//
//   killLeader        SIGKILL the replica that holds the Lease; it comes back 0.5-4s later. The
//                     standby takes over once the Lease expires (nobody released it).
//   killStandby       SIGKILL a replica that does not lead.
//   killAll           SIGKILL every replica at once (a node goes away).
//   restartApiserver  SIGTERM kube-apiserver, keep it down 0.2-6s (sometimes 11-14s, past the Lease's
//                     renew deadline, so the leader gives up and exits), start it on the same port.
//   killApiserver     the same with SIGKILL.
//   freezeApiserver   SIGSTOP kube-apiserver for 2-12s, then SIGCONT: a hung server that accepts
//                     connections and answers nothing; only client timeouts and watchdogs notice.
//   restartEtcd       SIGTERM or SIGKILL etcd, down 0.2-5s: the API server answers errors meanwhile.
import type { ControlPlane } from "../../controlplane/kube.ts";
import { sleep } from "../../controlplane/ports.ts";
import { leaderOf, type Replica } from "./replicas.ts";
import type { Rng } from "./rng.ts";
import { StoppableLoop } from "./stoppable-loop.ts";

export const PROCESS_FAULTS = [
  "killLeader",
  "killStandby",
  "killAll",
  "restartApiserver",
  "killApiserver",
  "freezeApiserver",
  "restartEtcd",
] as const;
export type ProcessFault = (typeof PROCESS_FAULTS)[number];

export const DEFAULT_PROCESS_FAULT_WEIGHTS: Readonly<Record<ProcessFault, number>> = {
  killLeader: 4,
  killStandby: 1,
  killAll: 1,
  restartApiserver: 2,
  killApiserver: 1,
  freezeApiserver: 1,
  restartEtcd: 1,
};

export interface ProcessFaultOptions {
  rng: Rng;
  cp: ControlPlane;
  replicas: readonly Replica[];
  /** Seconds between faults, drawn uniformly. */
  gapSeconds: readonly [number, number];
  weights?: Readonly<Record<ProcessFault, number>>;
  log: (line: string) => void;
}

export class ProcessFaults {
  readonly counts = Object.fromEntries(PROCESS_FAULTS.map((f) => [f, 0])) as Record<ProcessFault, number>;
  /** SIGKILLs sent to replicas (killAll counts each). */
  kills = 0;
  readonly #o: ProcessFaultOptions;
  readonly #loop = new StoppableLoop();
  readonly #pendingStarts = new Set<Promise<void>>();

  constructor(o: ProcessFaultOptions) {
    this.#o = o;
  }

  start(): void {
    const { rng, gapSeconds, log } = this.#o;
    this.#loop.start(
      () => rng.between(gapSeconds[0], gapSeconds[1]) * 1000,
      async () => {
        const weights = { ...(this.#o.weights ?? DEFAULT_PROCESS_FAULT_WEIGHTS) };
        if (this.#o.replicas.length < 2) weights.killStandby = 0;
        const fault = rng.weighted(weights);
        this.counts[fault]++;
        await this.#inject(fault).catch((err: unknown) =>
          log(`process fault ${fault} failed: ${err instanceof Error ? err.message : String(err)}`),
        );
      },
      () => {},
    );
  }

  /** Stops drawing faults, waits for the one in progress, and brings every process back. */
  async stop(): Promise<void> {
    await this.#loop.stop();
    await Promise.all(this.#pendingStarts);
    const { cp, replicas } = this.#o;
    const api = cp.kubeApiserver.pid();
    if (api !== undefined) process.kill(api, "SIGCONT");
    await cp.etcd.start();
    await cp.kubeApiserver.start();
    await Promise.all(replicas.map((r) => r.start()));
  }

  /** Kills a replica now and starts it again after a seeded delay, without waiting for that. */
  async #kill(r: Replica): Promise<void> {
    this.kills++;
    await r.kill();
    const backIn = this.#o.rng.between(0.5, 4) * 1000;
    const started: Promise<void> = sleep(backIn)
      .then(() => r.start())
      .finally(() => this.#pendingStarts.delete(started));
    this.#pendingStarts.add(started);
  }

  async #inject(fault: ProcessFault): Promise<void> {
    const { rng, cp, replicas, log } = this.#o;
    const downMs = () => (rng.chance(0.25) ? rng.between(11, 14) : rng.between(0.2, 6)) * 1000;
    switch (fault) {
      case "killLeader": {
        const leader = (await leaderOf(replicas)) ?? rng.pick(replicas);
        log(`SIGKILL replica ${leader.index} (the leader)`);
        await this.#kill(leader);
        return;
      }
      case "killStandby": {
        const leader = await leaderOf(replicas);
        const standby = rng.pick(replicas.filter((r) => r !== leader));
        log(`SIGKILL replica ${standby.index} (a standby)`);
        await this.#kill(standby);
        return;
      }
      case "killAll":
        log("SIGKILL every replica");
        await Promise.all(replicas.map((r) => this.#kill(r)));
        return;
      case "restartApiserver":
      case "killApiserver": {
        const ms = downMs();
        log(`${fault === "killApiserver" ? "SIGKILL" : "SIGTERM"} kube-apiserver, down ${Math.round(ms)}ms`);
        await cp.restart("kube-apiserver", { kill: fault === "killApiserver", downMs: ms });
        return;
      }
      case "freezeApiserver": {
        const pid = cp.kubeApiserver.pid();
        if (pid === undefined) return;
        const ms = rng.between(2, 12) * 1000;
        log(`SIGSTOP kube-apiserver for ${Math.round(ms)}ms`);
        process.kill(pid, "SIGSTOP");
        try {
          await sleep(ms);
        } finally {
          process.kill(pid, "SIGCONT");
        }
        return;
      }
      case "restartEtcd": {
        const ms = rng.between(0.2, 5) * 1000;
        const kill = rng.chance(0.5);
        log(`${kill ? "SIGKILL" : "SIGTERM"} etcd, down ${Math.round(ms)}ms`);
        await cp.restart("etcd", { kill, downMs: ms });
      }
    }
  }
}
