// A randomized run of the work queue on a fake clock: many keys, random
// adds, delays, retries, failures and work times, with the queue's
// invariants checked throughout. Seeded, so a failure replays exactly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../clock.ts";
import { WorkQueue } from "./workqueue.ts";

/** mulberry32: a small, good-enough seeded PRNG returning [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two loads: one where the worker count is the bottleneck, one where the global rate limit is. */
const loads = [
  {
    name: "worker-bound",
    concurrency: 4,
    rate: { qps: 100, burst: 10 },
    maxWorkMs: 200,
    binds: "concurrency",
  },
  { name: "rate-bound", concurrency: 8, rate: { qps: 20, burst: 5 }, maxWorkMs: 300, binds: "rate" },
] as const;

for (const seed of [1, 2, 3]) {
  for (const load of loads) {
    test(`under random ${load.name} load (seed ${seed}) no key runs twice at once, limits hold, every request is served and the queue empties`, async () => {
      const { concurrency, rate } = load;
      const rand = seeded(seed);
      const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)]!;
      const clock = new FakeClock();
      const queue = new WorkQueue<string>({
        concurrency,
        rateLimit: rate,
        backoff: { baseMs: 10, capMs: 2000 },
        clock,
        random: rand,
      });
      const keys = Array.from({ length: 40 }, (_, i) => `ns/r${i}`);

      // Every request (add of any kind) and every run start gets a sequence
      // number; a request must be followed by a run that starts after it.
      let seq = 0;
      const lastRequest = new Map<string, number>();
      const lastStart = new Map<string, number>();
      const request = (key: string) => lastRequest.set(key, ++seq);

      const running = new Set<string>();
      const startTimes: number[] = [];
      const violations: string[] = [];
      let maxInFlight = 0;
      let chaos = true;

      const worker = async (key: string) => {
        if (running.has(key)) violations.push(`${key} started twice at ${clock.now()}`);
        running.add(key);
        maxInFlight = Math.max(maxInFlight, running.size);
        lastStart.set(key, ++seq);
        startTimes.push(clock.now());
        try {
          await clock.sleep(Math.floor(rand() * load.maxWorkMs));
          if (!chaos) return;
          const r = rand();
          if (r < 0.15) {
            request(key); // the queue retries a rejected key itself
            throw new Error("transient");
          } else if (r < 0.35) {
            request(key);
            queue.addRateLimited(key);
          } else if (r < 0.7) {
            request(key);
            queue.forget(key);
            queue.addAfter(key, Math.floor(rand() * 300));
          } else {
            queue.forget(key);
          }
        } finally {
          running.delete(key);
        }
      };
      const done = queue.run(worker);

      for (let step = 0; step < 1500; step++) {
        const key = pick(keys);
        const r = rand();
        if (r < 0.5) {
          request(key);
          queue.add(key);
        } else if (r < 0.75) {
          request(key);
          queue.addAfter(key, Math.floor(rand() * 500));
        } else if (r < 0.85) {
          request(key);
          queue.addRateLimited(key);
        } else {
          queue.forget(key);
        }
        await clock.advance(Math.floor(rand() * 20));
        assert.ok(
          queue.processingCount() <= concurrency,
          `in flight ${queue.processingCount()} at step ${step}`,
        );
      }

      // Stop generating work and let everything run out.
      chaos = false;
      for (let guard = 0; queue.len() + queue.processingCount() + queue.delayedCount() > 0; guard++) {
        assert.ok(guard < 100_000, "the queue did not empty");
        const moved = await clock.advanceToNext();
        assert.ok(
          moved || queue.len() + queue.processingCount() === 0,
          "work is queued but nothing will run it",
        );
      }

      assert.deepEqual(violations, []);
      assert.ok(maxInFlight <= concurrency, `${maxInFlight} keys ran at once`);
      assert.deepEqual([queue.len(), queue.processingCount(), queue.delayedCount()], [0, 0, 0]);
      for (const [key, requestedAt] of lastRequest) {
        const startedAt = lastStart.get(key) ?? -1;
        assert.ok(
          startedAt > requestedAt,
          `${key}: last request #${requestedAt} was never served (last run #${startedAt})`,
        );
      }
      // Token bucket bound: in any one-second window, at most burst + qps hand-outs.
      let busiestSecond = 0;
      for (let i = 0, j = 0; i < startTimes.length; i++) {
        while (startTimes[j]! < startTimes[i]! - 999) j++;
        busiestSecond = Math.max(busiestSecond, i - j + 1);
      }
      assert.ok(busiestSecond <= rate.burst + rate.qps, `${busiestSecond} hand-outs in one second`);
      // The load must push against the limit it is meant to exercise, or the checks above prove little.
      if (load.binds === "concurrency") {
        assert.equal(maxInFlight, concurrency, "the load never filled every worker");
      } else {
        assert.ok(busiestSecond >= rate.qps, `the busiest second had only ${busiestSecond} hand-outs`);
      }
      assert.ok(
        startTimes.length > 250,
        `only ${startTimes.length} runs: the load is too light to mean much`,
      );

      await queue.drain();
      await done;
    });
  }
}
