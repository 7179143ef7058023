import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DURATION_PATTERN } from "../api/index.ts";
import {
  DEFAULT_POLL,
  DurationError,
  formatDuration,
  type PollDelayInput,
  parseDuration,
  pollDelay,
} from "./schedule.ts";

describe("pollDelay", () => {
  const defaults = { steadyMs: 60_000, convergingMs: 10_000, minMs: 5_000 };
  const mid = () => 0.5; // no jitter
  const cases: { name: string; input: PollDelayInput; expected: number }[] = [
    { name: "a Ready resource polls at the steady default", input: { ready: true }, expected: 60_000 },
    {
      name: "a Ready resource polls at its spec.pollInterval",
      input: { ready: true, specInterval: "5m" },
      expected: 300_000,
    },
    {
      name: "a resource that is not Ready polls at the converging interval",
      input: { ready: false },
      expected: 10_000,
    },
    {
      name: "a Ready resource the cloud is still working on polls at the converging interval",
      input: { ready: true, inProgress: true },
      expected: 10_000,
    },
    {
      name: "a converging resource never polls slower than its own steady interval",
      input: { ready: false, specInterval: "7s" },
      expected: 7_000,
    },
    {
      name: "a spec.pollInterval below the minimum is raised to it",
      input: { ready: true, specInterval: "1s" },
      expected: 5_000,
    },
    {
      name: "the lowest jitter draw takes 10% off",
      input: { ready: true, random: () => 0 },
      expected: 54_000,
    },
    {
      name: "the highest jitter draw adds 10%",
      input: { ready: true, random: () => 0.999999 },
      expected: 66_000,
    },
    {
      name: "jitter never takes a delay below the minimum",
      input: { ready: true, specInterval: "5s", random: () => 0 },
      expected: 5_000,
    },
    {
      name: "a delay raised to the minimum is still jittered upwards",
      input: { ready: true, specInterval: "2s", random: () => 0.999999 },
      expected: 5_500,
    },
  ];
  for (const { name, input, expected } of cases) {
    test(name, () => {
      assert.equal(pollDelay({ defaults, random: mid, ...input }), expected);
    });
  }

  test("delays spread over ±10% of the base across random draws", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = pollDelay({ ready: true, defaults, random: Math.random });
      assert.ok(d >= 54_000 && d <= 66_000, `${d} outside ±10%`);
      seen.add(d);
    }
    assert.ok(seen.size > 50, "delays should differ from one another");
  });

  test("the built-in defaults are 60s steady, 10s converging and a 5s minimum", () => {
    assert.deepEqual(DEFAULT_POLL, { steadyMs: 60_000, convergingMs: 10_000, minMs: 5_000 });
    assert.equal(pollDelay({ ready: true, random: mid }), 60_000);
  });

  test("a malformed spec.pollInterval is an error, not a silent default", () => {
    assert.throws(() => pollDelay({ ready: true, specInterval: "soon", defaults }), DurationError);
  });
});

describe("parseDuration", () => {
  const valid: [text: string, ms: number][] = [
    ["300ms", 300],
    ["30s", 30_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["1m30s", 90_000],
    ["1h30m", 5_400_000],
    ["1h2m3s4ms", 3_723_004],
    ["1.5m", 90_000],
    ["0.25s", 250],
    ["1.5ms", 2], // rounded to whole milliseconds
    ["0s", 0],
    ["30s1m", 90_000], // Go accepts units in any order
    ["1s1s", 2_000],
  ];
  for (const [text, ms] of valid) {
    test(`"${text}" is ${ms}ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const invalid: [text: string, reason: RegExp][] = [
    ["", /it is empty/],
    ["10", /missing unit after "10"/],
    ["1h30", /missing unit after "30"/],
    ["1d", /unknown unit "d"/],
    ["5 m", /unknown unit " m"/],
    ["1mss", /unknown unit "mss"/],
    ["-5s", /expected a number at "-5s"/],
    [" 5s", /expected a number at " 5s"/],
    ["s", /expected a number at "s"/],
    ["1.s", /malformed number "1\."/],
    [".5s", /malformed number "\.5"/],
    ["1.2.3s", /malformed number "1\.2\.3"/],
    ["99999999999999999999h", /too large/],
  ];
  for (const [text, reason] of invalid) {
    test(`${JSON.stringify(text)} is refused with a reason and an example`, () => {
      assert.throws(
        () => parseDuration(text),
        (e) => e instanceof DurationError && reason.test(e.message) && /e\.g\. "30s"/.test(e.message),
      );
    });
  }

  test("it accepts exactly what the CRD's DURATION_PATTERN accepts", () => {
    const pattern = new RegExp(DURATION_PATTERN);
    for (const [text] of [...valid, ...invalid]) {
      if (text === "99999999999999999999h") continue; // well-formed, only too large
      let parses = true;
      try {
        parseDuration(text);
      } catch {
        parses = false;
      }
      assert.equal(parses, pattern.test(text), JSON.stringify(text));
    }
  });
});

describe("formatDuration", () => {
  for (const [ms, text] of [
    [0, "0s"],
    [5000, "5s"],
    [60_000, "1m"],
    [300_000, "5m"],
    [5_400_000, "90m"],
    [7_200_000, "2h"],
    [1500, "1500ms"],
  ] as const) {
    test(`writes ${ms}ms as ${text}, which parseDuration reads back`, () => {
      assert.equal(formatDuration(ms), text);
      assert.equal(parseDuration(text), ms);
    });
  }
});
