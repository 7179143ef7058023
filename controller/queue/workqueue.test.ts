import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../clock.ts";
import { WorkQueue, type WorkQueueObserver, type WorkQueueOptions } from "./workqueue.ts";

type Work = (key: string, run: number, queue: WorkQueue<string>) => Promise<void>;

/**
 * A queue on a fake clock with a recording worker. `work` decides what each
 * run does (run counts from 1 per key); by default it returns at once.
 */
function setup(options: Partial<WorkQueueOptions<string>> = {}, work: Work = async () => {}) {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({ concurrency: 1, random: () => 0.5, ...options, clock });
  const starts: string[] = [];
  const runsPerKey = new Map<string, number>();
  const runningPerKey = new Map<string, number>();
  const stats = { inFlight: 0, maxInFlight: 0, overlaps: [] as string[] };

  const worker = async (key: string) => {
    if ((runningPerKey.get(key) ?? 0) > 0) stats.overlaps.push(`${key}@${clock.now()}`);
    runningPerKey.set(key, (runningPerKey.get(key) ?? 0) + 1);
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    starts.push(`${key}@${clock.now()}`);
    const run = (runsPerKey.get(key) ?? 0) + 1;
    runsPerKey.set(key, run);
    try {
      await work(key, run, queue);
    } finally {
      runningPerKey.set(key, (runningPerKey.get(key) ?? 1) - 1);
      stats.inFlight--;
    }
  };

  let finished = false;
  const run = async () => {
    void queue.run(worker).then(() => {
      finished = true;
    });
    await clock.settle();
  };
  return { clock, queue, starts, stats, run, finished: () => finished };
}

describe("WorkQueue: de-duplication and one worker per key", () => {
  test("a key added twice while queued is processed once", async () => {
    const { clock, queue, starts, run } = setup();
    queue.add("a");
    queue.add("a");
    queue.add("b");
    assert.equal(queue.len(), 2);
    await run();
    await clock.advance(1000);
    assert.deepEqual(starts, ["a@0", "b@0"]);
  });

  test("keys are handed out in the order they were first added", async () => {
    const { clock, queue, starts, run } = setup();
    for (const key of ["c", "a", "b", "a", "c"]) queue.add(key);
    await run();
    await clock.advance(0);
    assert.deepEqual(starts, ["c@0", "a@0", "b@0"]);
  });

  test("keys added before run() wait for it", async () => {
    const { clock, queue, starts, run } = setup();
    queue.add("a");
    await clock.advance(500);
    assert.deepEqual(starts, []);
    assert.equal(queue.len(), 1);
    await run();
    assert.deepEqual(starts, ["a@500"]);
  });

  test("a key is never processed by two workers at once, even with workers free", async () => {
    const { clock, queue, starts, stats, run } = setup({ concurrency: 4 }, () => clock.sleep(100));
    await run();
    queue.add("a");
    await clock.settle();
    for (const at of [10, 20, 50]) {
      await clock.advance(at - clock.now());
      queue.add("a");
      await clock.settle();
      assert.equal(queue.processingCount(), 1, `at ${at}ms`);
    }
    await clock.advance(1000);
    assert.deepEqual(stats.overlaps, []);
    assert.deepEqual(starts, ["a@0", "a@100"]);
  });

  test("a key added many times while it runs is processed exactly once more", async () => {
    const { clock, queue, starts, run } = setup({}, () => clock.sleep(100));
    queue.add("a");
    await run();
    for (let i = 0; i < 5; i++) queue.add("a");
    assert.equal(queue.len(), 0, "a running key is not queued a second time");
    await clock.advance(1000);
    assert.deepEqual(starts, ["a@0", "a@100"]);
  });
});

describe("WorkQueue: delayed adds", () => {
  test("a delayed add runs the key exactly when it falls due", async () => {
    const { clock, queue, starts, run } = setup();
    await run();
    queue.addAfter("a", 1000);
    assert.equal(queue.scheduledAt("a"), 1000);
    assert.equal(queue.delayedCount(), 1);
    await clock.advance(999);
    assert.deepEqual(starts, []);
    await clock.advance(1);
    assert.deepEqual(starts, ["a@1000"]);
    assert.equal(queue.delayedCount(), 0);
  });

  const earlierWins: { name: string; delays: number[]; runs: string[] }[] = [
    { name: "a sooner delay replaces a later one", delays: [1000, 500], runs: ["a@500"] },
    { name: "a later delay does not replace a sooner one", delays: [500, 1000], runs: ["a@500"] },
    { name: "the same delay twice runs once", delays: [300, 300], runs: ["a@300"] },
  ];
  for (const { name, delays, runs } of earlierWins) {
    test(`${name}, and only one run happens`, async () => {
      const { clock, queue, starts, run } = setup();
      await run();
      for (const d of delays) queue.addAfter("a", d);
      await clock.advance(5000);
      assert.deepEqual(starts, runs);
    });
  }

  test("an immediate add() wins over a pending delay, which then causes no second run", async () => {
    const { clock, queue, starts, run } = setup();
    await run();
    queue.addAfter("a", 1000);
    queue.add("a");
    await clock.settle();
    assert.equal(queue.scheduledAt("a"), undefined, "the run dropped the pending delay");
    await clock.advance(5000);
    assert.deepEqual(starts, ["a@0"]);
  });

  test("a delay that was pending while the key waited behind others is dropped when it runs", async () => {
    const { clock, queue, starts, run } = setup({}, () => clock.sleep(100));
    queue.add("busy");
    await run();
    queue.addAfter("a", 1000);
    queue.add("a"); // waits behind "busy" until 100ms
    await clock.advance(5000);
    assert.deepEqual(starts, ["busy@0", "a@100"]);
  });

  test("a delay asked for during a run is kept, as for the next poll", async () => {
    const { clock, queue, starts, run } = setup({}, async (key, n, q) => {
      if (n === 1) q.addAfter(key, 1000);
    });
    queue.add("a");
    await run();
    await clock.advance(5000);
    assert.deepEqual(starts, ["a@0", "a@1000"]);
  });

  test("a delay that falls due while the key runs makes it run once more afterwards", async () => {
    const { clock, queue, starts, stats, run } = setup({ concurrency: 2 }, async (key, n, q) => {
      if (n === 1) q.addAfter(key, 200);
      await clock.sleep(500);
    });
    queue.add("a");
    await run();
    await clock.advance(5000);
    assert.deepEqual(starts, ["a@0", "a@500"]);
    assert.deepEqual(stats.overlaps, []);
  });

  test("addAfter() on a key already waiting to run is a no-op", async () => {
    const { queue } = setup();
    queue.add("a");
    queue.addAfter("a", 1000);
    assert.equal(queue.scheduledAt("a"), undefined);
    assert.equal(queue.delayedCount(), 0);
  });

  for (const delay of [0, -5, Number.NaN]) {
    test(`addAfter() with a delay of ${delay} adds the key at once`, async () => {
      const { clock, queue, starts, run } = setup();
      await run();
      queue.addAfter("a", delay);
      assert.equal(queue.delayedCount(), 0);
      await clock.settle();
      assert.deepEqual(starts, ["a@0"]);
    });
  }
});

describe("WorkQueue: backoff", () => {
  test("addRateLimited() delays double from the base, are jittered within bounds, cap, and reset on forget()", () => {
    const table: { random: number; delays: number[] }[] = [
      { random: 0, delays: [50, 100, 200, 400, 500, 500] },
      { random: 0.5, delays: [75, 150, 300, 600, 750, 750] },
      { random: 0.999999, delays: [100, 200, 400, 800, 1000, 1000] },
    ];
    for (const { random, delays } of table) {
      const { queue } = setup({ backoff: { baseMs: 100, capMs: 1000 }, random: () => random });
      const got = delays.map(() => queue.addRateLimited("a"));
      assert.deepEqual(got, delays, `random ${random}`);
      assert.equal(queue.retries("a"), 6);
      queue.forget("a");
      assert.equal(queue.retries("a"), 0);
      assert.equal(queue.addRateLimited("a"), delays[0], "backoff starts over after forget()");
    }
  });

  test("backoff is counted per key", () => {
    const { queue } = setup({ backoff: { baseMs: 100, capMs: 1000 } });
    queue.addRateLimited("a");
    queue.addRateLimited("a");
    assert.equal(queue.addRateLimited("b"), 75);
    assert.deepEqual([queue.retries("a"), queue.retries("b")], [2, 1]);
  });

  test("a failing key is retried at its growing backoff and starts over after a success", async () => {
    // Fails six times, succeeds (forget), then fails once more.
    const { clock, queue, starts, run } = setup(
      { backoff: { baseMs: 100, capMs: 1000 } },
      async (key, n, q) => {
        if (n <= 6 || n === 8) q.addRateLimited(key);
        else if (n === 7) {
          q.forget(key);
          q.addAfter(key, 10_000);
        } else q.forget(key);
      },
    );
    queue.add("a");
    await run();
    await clock.advance(60_000);
    const times = starts.map((s) => Number(s.split("@")[1]));
    // Delays 75, 150, 300, 600, 750 (capped), 750, then 10s, then 75 again.
    assert.deepEqual(times, [0, 75, 225, 525, 1125, 1875, 2625, 12_625, 12_700]);
  });

  test("a worker that rejects is reported and its key retried with backoff", async () => {
    const failures: unknown[] = [];
    const boom = new Error("boom");
    const { clock, queue, starts, run } = setup(
      { backoff: { baseMs: 100, capMs: 1000 }, observer: { workerFailed: (_k, e) => failures.push(e) } },
      async (_key, n) => {
        if (n === 1) throw boom;
      },
    );
    queue.add("a");
    await run();
    await clock.advance(1000);
    assert.deepEqual(failures, [boom]);
    assert.deepEqual(starts, ["a@0", "a@75"]);
    assert.equal(queue.retries("a"), 1);
  });
});

describe("WorkQueue: global limits", () => {
  test("the concurrency limit is reached but never exceeded", async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const { clock, queue, starts, stats, run } = setup({ concurrency: 3 }, (key) =>
      clock.sleep(10 + ((Number(key.slice(1)) * 37) % 190)),
    );
    for (const key of keys) queue.add(key);
    await run();
    await clock.advance(10_000);
    assert.equal(stats.maxInFlight, 3);
    assert.equal(starts.length, 30);
    assert.equal(queue.len() + queue.processingCount(), 0);
  });

  test("the global rate limit spaces hand-outs after the burst", async () => {
    const { clock, queue, starts, run } = setup({ concurrency: 10, rateLimit: { qps: 10, burst: 2 } });
    for (const key of ["a", "b", "c", "d", "e", "f"]) queue.add(key);
    await run();
    await clock.advance(1000);
    assert.deepEqual(starts, ["a@0", "b@0", "c@100", "d@200", "e@300", "f@400"]);
  });

  test("the rate limit and the concurrency limit apply together", async () => {
    const { clock, queue, starts, stats, run } = setup(
      { concurrency: 1, rateLimit: { qps: 100, burst: 5 } },
      () => clock.sleep(50),
    );
    for (const key of ["a", "b", "c"]) queue.add(key);
    await run();
    await clock.advance(1000);
    assert.equal(stats.maxInFlight, 1);
    assert.deepEqual(starts, ["a@0", "b@50", "c@100"]);
  });
});

describe("WorkQueue: shutdown", () => {
  test("drain() stops handing out keys and resolves when the running ones are done", async () => {
    const { clock, queue, starts, run, finished } = setup({ concurrency: 2 }, () => clock.sleep(1000));
    for (const key of ["a", "b", "c"]) queue.add(key);
    await run();
    let drained = false;
    void queue.drain().then(() => {
      drained = true;
    });
    await clock.advance(999);
    assert.equal(drained, false);
    assert.equal(queue.processingCount(), 2);
    await clock.advance(1);
    assert.equal(drained, true);
    assert.equal(finished(), true, "run() resolves too");
    await clock.advance(5000);
    assert.deepEqual(starts, ["a@0", "b@0"], "c was never handed out");
  });

  test("after shutdown, adds of every kind are ignored and pending delays are dropped", async () => {
    const { clock, queue, starts, run } = setup();
    await run();
    queue.addAfter("x", 100);
    queue.shutdown();
    assert.equal(queue.isShuttingDown(), true);
    assert.equal(queue.delayedCount(), 0);
    queue.add("a");
    queue.addAfter("b", 10);
    queue.addRateLimited("c");
    assert.deepEqual([queue.len(), queue.delayedCount(), queue.retries("c")], [0, 0, 0]);
    await clock.advance(1000);
    assert.deepEqual(starts, []);
    await queue.drain();
  });

  test("shutdown while waiting for a rate-limit token hands out nothing more", async () => {
    const { clock, queue, starts, run } = setup({ concurrency: 5, rateLimit: { qps: 1, burst: 1 } });
    queue.add("a");
    queue.add("b");
    await run();
    queue.shutdown();
    await clock.advance(5000);
    assert.deepEqual(starts, ["a@0"]);
    await queue.drain();
  });

  test("drain() with nothing running resolves at once, also before run()", async () => {
    const { queue } = setup();
    queue.add("a");
    await queue.drain();
    assert.equal(queue.processingCount(), 0);
  });
});

describe("WorkQueue: observer and misuse", () => {
  test("the observer hears about adds, depth, waiting time, work time and retries", async () => {
    const events: string[] = [];
    const observer: WorkQueueObserver<string> = {
      added: (k) => events.push(`added ${k}`),
      depthChanged: (d) => events.push(`depth ${d}`),
      queueLatency: (k, ms) => events.push(`latency ${k} ${ms}`),
      workDuration: (k, ms) => events.push(`duration ${k} ${ms}`),
      retried: (k, n, ms) => events.push(`retried ${k} #${n} in ${ms}`),
    };
    const { clock, queue, run } = setup(
      { observer, backoff: { baseMs: 100, capMs: 1000 } },
      async (key, n, q) => {
        await clock.sleep(30);
        if (n === 1) q.addRateLimited(key);
      },
    );
    queue.add("a");
    queue.add("a");
    await clock.advance(50);
    await run();
    await clock.advance(1000);
    assert.deepEqual(events, [
      "added a",
      "depth 1",
      "depth 0",
      "latency a 50",
      "retried a #1 in 75",
      "duration a 30",
      "added a",
      "depth 1",
      "depth 0",
      "latency a 0",
      "duration a 30",
    ]);
  });

  test("an observer that throws does not disturb processing", async () => {
    const angry = () => {
      throw new Error("metrics broke");
    };
    const { clock, queue, starts, run } = setup({
      observer: { added: angry, depthChanged: angry, queueLatency: angry, workDuration: angry },
    });
    queue.add("a");
    queue.add("b");
    await run();
    await clock.advance(10);
    assert.deepEqual(starts, ["a@0", "b@0"]);
    assert.equal(queue.processingCount(), 0);
  });

  test("run() may be called only once", async () => {
    const { queue, run } = setup();
    await run();
    assert.throws(() => queue.run(async () => {}), /already running/);
  });

  for (const concurrency of [0, -1, 1.5, Number.NaN]) {
    test(`a concurrency of ${concurrency} is refused`, () => {
      assert.throws(() => new WorkQueue({ concurrency }), RangeError);
    });
  }
});
