// A loop that sleeps a drawn while between steps and can be stopped mid-sleep: the users, the
// process faults and the out-of-band changes of a round each run one.

export class StoppableLoop {
  #stopping = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Runs `step` after each `gapMs()` until stop(); a step's error goes to `onError`, not out of the loop. */
  start(gapMs: () => number, step: () => Promise<void>, onError: (err: unknown) => void): void {
    this.#loop = (async () => {
      for (;;) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, gapMs());
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.#wake = undefined;
        if (this.#stopping) return;
        await step().catch(onError);
      }
    })();
  }

  /** Ends the sleep at once, and waits for a step in progress. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
  }
}
