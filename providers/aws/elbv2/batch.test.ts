import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chunks, describeInBatches, mapLimit } from "./batch.ts";

class NotFound extends Error {}
const isNotFound = (e: unknown) => e instanceof NotFound;

/** A describe that fails as a whole when any key is missing, like DescribeLoadBalancers(Names). */
function strictDescribe(existing: Set<string>, calls: string[][]) {
  return async (chunk: string[]) => {
    calls.push(chunk);
    if (chunk.some((k) => !existing.has(k))) throw new NotFound();
    return chunk.map((k) => `found:${k}`);
  };
}

describe("describeInBatches", () => {
  const keys = Array.from({ length: 45 }, (_, i) => `k${i}`);

  it("describes everything in ceil(n/20) calls when all keys exist", async () => {
    const calls: string[][] = [];
    const got = await describeInBatches(keys, 20, 2, strictDescribe(new Set(keys), calls), isNotFound);
    assert.equal(calls.length, 3);
    assert.equal(got.length, 45);
  });

  it("isolates one missing key by bisection instead of one call per key", async () => {
    const calls: string[][] = [];
    const existing = new Set(keys.filter((k) => k !== "k7"));
    const got = await describeInBatches(keys, 20, 1, strictDescribe(existing, calls), isNotFound);
    assert.equal(got.length, 44);
    assert.ok(!got.includes("found:k7"));
    assert.ok(calls.length <= 3 + 2 * Math.ceil(Math.log2(20)), `${calls.length} calls`);
  });

  it("passes other errors through", async () => {
    await assert.rejects(
      describeInBatches(
        ["a"],
        20,
        1,
        async () => {
          throw new Error("Throttling");
        },
        isNotFound,
      ),
      /Throttling/,
    );
  });

  it("makes no call for no keys", async () => {
    const calls: string[][] = [];
    assert.deepEqual(await describeInBatches([], 20, 1, strictDescribe(new Set(), calls), isNotFound), []);
    assert.equal(calls.length, 0);
  });
});

describe("helpers", () => {
  it("chunks split a list into pieces of at most the given size", () => {
    assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  });
  it("mapLimit keeps input order and never exceeds the limit", async () => {
    let inFlight = 0;
    let peak = 0;
    const got = await mapLimit([30, 10, 20, 5], 2, async (ms) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return ms * 2;
    });
    assert.deepEqual(got, [60, 20, 40, 10]);
    assert.equal(peak, 2);
  });
});
