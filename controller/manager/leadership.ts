// Leader-election wiring: with election on, the workers start only once
// this replica holds the Lease, and losing it stops the process from acting
// (the default stops the manager; the CLI exits). With it off, this replica
// leads at once.
import type { Logger } from "../ops/logger.ts";
import { DEFAULTS } from "./defaults.ts";
import type { Elector, ManagerKube } from "./ports.ts";

export interface LeaderElectionOptions {
  enabled: boolean;
  namespace?: string;
  name?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface LeadershipDeps {
  kube: Pick<ManagerKube, "leaderElector">;
  options: LeaderElectionOptions | undefined;
  log: Logger;
  /** Start the workers. */
  lead(): void;
  /** Whether this replica has started leading (and so must stop when the Lease is lost). */
  leading(): boolean;
  lost(): void;
  /** The leader gauge. */
  gauge(value: 0 | 1): void;
}

export class Leadership {
  readonly #d: LeadershipDeps;
  #elector: Elector | undefined;

  constructor(deps: LeadershipDeps) {
    this.#d = deps;
  }

  start(): void {
    const le = this.#d.options;
    if (!le?.enabled) {
      this.#d.lead();
      return;
    }
    const { log } = this.#d;
    this.#elector = this.#d.kube.leaderElector({
      namespace: le.namespace ?? DEFAULTS.leaderElection.namespace,
      name: le.name ?? DEFAULTS.leaderElection.name,
      ...(le.identity ? { identity: le.identity } : {}),
      ...(le.leaseDurationMs ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs ? { retryPeriodMs: le.retryPeriodMs } : {}),
      log: log.child({ component: "leader-election" }),
      onStartedLeading: () => this.#d.lead(),
      onStoppedLeading: () => {
        this.#d.gauge(0);
        if (!this.#d.leading()) return;
        log.error("lost leadership; stopping so that only one replica acts");
        this.#d.lost();
      },
    });
    this.#elector.start();
    log.info("waiting to become leader");
  }

  async stop(): Promise<void> {
    await this.#elector?.stop();
  }
}
