import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Clock, FakeClock } from "../clock.ts";
import { TokenBucket } from "./token-bucket.ts";

function bucket(ratePerSecond: number, burst: number) {
  const clock = new FakeClock();
  return { clock, bucket: new TokenBucket({ ratePerSecond, burst, clock }) };
}

describe("TokenBucket", () => {
  test("a new bucket is full: burst takes succeed at once and the next one fails", () => {
    const { bucket: b } = bucket(10, 3);
    assert.deepEqual([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()], [true, true, true, false]);
  });

  test("tokens refill at the configured rate", async () => {
    const { clock, bucket: b } = bucket(10, 2);
    b.tryTake();
    b.tryTake();
    await clock.advance(99);
    assert.equal(b.tryTake(), false);
    await clock.advance(1);
    assert.equal(b.tryTake(), true);
    assert.equal(b.tryTake(), false);
  });

  test("a long quiet spell refills only up to the burst", async () => {
    const { clock, bucket: b } = bucket(10, 5);
    for (let i = 0; i < 5; i++) b.tryTake();
    await clock.advance(60_000);
    assert.equal(b.available(), 5);
    let taken = 0;
    while (b.tryTake()) taken++;
    assert.equal(taken, 5);
  });

  test("waiters are served first come, first served, one refill interval apart", async () => {
    const { clock, bucket: b } = bucket(4, 1);
    b.tryTake();
    const served: string[] = [];
    const waits = ["a", "b", "c"].map((name) => b.take().then(() => served.push(`${name}@${clock.now()}`)));
    assert.equal(b.waiting(), 3);
    await clock.advance(1000);
    await Promise.all(waits);
    assert.deepEqual(served, ["a@250", "b@500", "c@750"]);
  });

  test("tryTake() never jumps ahead of a waiter, even when tokens have piled up", () => {
    // A clock whose timers never fire stands in for a waiter's wake-up running late.
    let now = 0;
    const lateClock: Clock = {
      now: () => now,
      setTimeout: () => ({ cancel() {} }),
      sleep: () => new Promise<void>(() => {}),
    };
    const b = new TokenBucket({ ratePerSecond: 10, burst: 5, clock: lateClock });
    for (let i = 0; i < 5; i++) b.tryTake();
    void b.take();
    now = 10_000;
    assert.equal(b.available(), 5);
    assert.equal(b.tryTake(), false);
  });

  test("take() resolves without waiting while tokens are free", async () => {
    const { clock, bucket: b } = bucket(1, 2);
    let resolved = 0;
    void b.take().then(() => resolved++);
    void b.take().then(() => resolved++);
    await clock.settle();
    assert.equal(resolved, 2);
    assert.equal(clock.now(), 0);
  });

  test("an aborted waiter leaves the line with the abort reason and the others keep their order", async () => {
    const { clock, bucket: b } = bucket(10, 1);
    b.tryTake();
    const served: string[] = [];
    const stop = new AbortController();
    const first = b.take().then(() => served.push("first"));
    const aborted = b.take(stop.signal);
    const third = b.take().then(() => served.push("third"));
    const reason = new Error("gone");
    stop.abort(reason);
    await assert.rejects(aborted, (e) => e === reason);
    assert.equal(b.waiting(), 2);
    await clock.advance(200);
    await Promise.all([first, third]);
    assert.deepEqual(served, ["first", "third"]);
    assert.equal(clock.now(), 200);
  });

  test("an already aborted signal rejects at once without taking a token", async () => {
    const { bucket: b } = bucket(10, 1);
    const stop = new AbortController();
    stop.abort(new Error("no"));
    await assert.rejects(b.take(stop.signal));
    assert.equal(b.available(), 1);
  });

  const badOptions: { name: string; ratePerSecond: number; burst: number }[] = [
    { name: "a zero rate", ratePerSecond: 0, burst: 1 },
    { name: "a negative rate", ratePerSecond: -1, burst: 1 },
    { name: "an infinite rate", ratePerSecond: Number.POSITIVE_INFINITY, burst: 1 },
    { name: "a burst below one", ratePerSecond: 1, burst: 0.5 },
    { name: "a NaN burst", ratePerSecond: 1, burst: Number.NaN },
  ];
  for (const { name, ratePerSecond, burst } of badOptions) {
    test(`a bucket with ${name} is refused`, () => {
      assert.throws(() => new TokenBucket({ ratePerSecond, burst }), RangeError);
    });
  }
});
