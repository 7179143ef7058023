import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffCeiling, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";

describe("backoff", () => {
  const ceilings: [failures: number, ceilingMs: number][] = [
    [0, 500],
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [9, 256_000],
    [10, 300_000], // 512s would exceed the 5m cap
    [1000, 300_000],
  ];
  for (const [failures, ceilingMs] of ceilings) {
    test(`the ceiling after ${failures} earlier failures is ${ceilingMs}ms`, () => {
      assert.equal(backoffCeiling(failures), ceilingMs);
    });
  }

  test("the delay is half the ceiling plus up to another half, by the random draw", () => {
    const table: [random: number, expected: number][] = [
      [0, 2000],
      [0.5, 3000],
      [0.999999, 4000],
    ];
    for (const [random, expected] of table) {
      assert.equal(
        backoffDelay(3, () => random),
        expected,
        `random ${random}`,
      );
    }
  });

  test("delays stay within [ceiling/2, ceiling] for many random draws", () => {
    for (let failures = 0; failures < 15; failures++) {
      const ceiling = backoffCeiling(failures);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(failures, Math.random);
        assert.ok(
          d >= ceiling / 2 && d <= ceiling,
          `failure ${failures}: ${d} outside [${ceiling / 2}, ${ceiling}]`,
        );
      }
    }
  });

  test("base and cap can be configured", () => {
    const options = { baseMs: 100, capMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffCeiling(n, options)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(DEFAULT_BACKOFF.baseMs, 500);
  });
});
