import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock, RealClock } from "./clock.ts";

describe("FakeClock", () => {
  test("timers fire in due order, ties in the order they were set, with now() at their due time", async () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    const note = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimeout(note("c"), 300);
    clock.setTimeout(note("a"), 100);
    clock.setTimeout(note("b1"), 200);
    clock.setTimeout(note("b2"), 200);
    await clock.advance(1000);
    assert.deepEqual(fired, ["a@1100", "b1@1200", "b2@1200", "c@1300"]);
    assert.equal(clock.now(), 2000);
  });

  test("a timer not yet due does not fire, and fires once time reaches it", async () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 500);
    await clock.advance(499);
    assert.equal(fired, 0);
    await clock.advance(1);
    assert.equal(fired, 1);
    await clock.advance(10_000);
    assert.equal(fired, 1);
  });

  test("a cancelled timer never fires", async () => {
    const clock = new FakeClock();
    let fired = false;
    const timer = clock.setTimeout(() => {
      fired = true;
    }, 100);
    timer.cancel();
    await clock.advance(1000);
    assert.equal(fired, false);
    assert.equal(clock.pendingTimers(), 0);
  });

  test("timers set by a firing timer also fire within the same advance when they fall due", async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 100);
    }, 100);
    await clock.advance(250);
    assert.deepEqual(fired, [100, 200]);
  });

  test("async code awaiting sleep() progresses step by step as time advances", async () => {
    const clock = new FakeClock();
    const steps: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        // An extra await between sleeps: settle() must let it run before the next timer.
        await Promise.resolve();
        steps.push(clock.now());
      }
    })();
    await clock.advance(250);
    assert.deepEqual(steps, [100, 200]);
    await clock.advance(50);
    assert.deepEqual(steps, [100, 200, 300]);
    await loop;
  });

  test("sleep() rejects with the abort reason when aborted, before or during the wait", async () => {
    const clock = new FakeClock();
    const reason = new Error("stop");

    const before = new AbortController();
    before.abort(reason);
    await assert.rejects(clock.sleep(100, before.signal), (e) => e === reason);

    const during = new AbortController();
    const sleeping = clock.sleep(100, during.signal);
    during.abort(reason);
    await assert.rejects(sleeping, (e) => e === reason);
    assert.equal(clock.pendingTimers(), 0);
  });

  test("advanceToNext() jumps to the next timer and reports when none is left", async () => {
    const clock = new FakeClock();
    clock.setTimeout(() => {}, 700);
    assert.equal(clock.nextDue(), 700);
    assert.equal(await clock.advanceToNext(), true);
    assert.equal(clock.now(), 700);
    assert.equal(await clock.advanceToNext(), false);
  });

  test("advancing by a negative amount is refused", async () => {
    await assert.rejects(new FakeClock().advance(-1), RangeError);
  });
});

describe("RealClock", () => {
  test("sleep() waits at least the given time", async () => {
    const clock = new RealClock();
    const start = clock.now();
    await clock.sleep(20);
    assert.ok(clock.now() - start >= 19, `slept ${clock.now() - start}ms`);
  });

  test("a cancelled timer never fires", async () => {
    const clock = new RealClock();
    let fired = false;
    clock
      .setTimeout(() => {
        fired = true;
      }, 5)
      .cancel();
    await clock.sleep(30);
    assert.equal(fired, false);
  });
});
