import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  judgeLock,
  localLockStore,
  lockDir,
  parseLock,
  type StackLock,
  type StaleLockRules,
} from "./locks.ts";

const NOW = Date.parse("2026-12-02T12:00:00Z");
const rules: StaleLockRules = {
  now: NOW,
  hostname: "setpoint-7d9f-abcde",
  processStartedAt: NOW - 60_000,
  operationTimeoutMs: 30 * 60_000,
  leaseDurationMs: 15_000,
  clockSkewMs: 2 * 60_000,
  running: false,
};
const lock = (over: Partial<StackLock>): StackLock => ({
  key: "k",
  pid: 7,
  username: "nonroot",
  hostname: "setpoint-7d9f-abcde",
  takenAt: NOW - 10_000,
  ...over,
});

describe("a stack lock", () => {
  const cases: { name: string; lock: StackLock; rules?: Partial<StaleLockRules>; stale: boolean }[] = [
    {
      name: "is stale when this host took it before this controller started (an earlier run, now dead)",
      lock: lock({ takenAt: NOW - 10 * 60_000 }),
      stale: true,
    },
    {
      name: "is live when this host took it after this controller started",
      lock: lock({ takenAt: NOW - 10_000 }),
      stale: false,
    },
    {
      name: "is stale when this host took it a second before this controller started: one clock, no skew to allow for",
      lock: lock({ takenAt: NOW - 60_000 - 1000 }),
      stale: true,
    },
    {
      name: "is live while this controller runs an operation on the stack, however old",
      lock: lock({ takenAt: NOW - 10 * 60 * 60_000 }),
      rules: { running: true },
      stale: false,
    },
    {
      name: "is live when another host took it recently (a person's pulumi up, or a handover)",
      lock: lock({ hostname: "laptop", takenAt: NOW - 20 * 60_000 }),
      stale: false,
    },
    {
      name: "is stale when older than any operation lives, the Lease and the skew allowance",
      lock: lock({ hostname: "laptop", takenAt: NOW - 33 * 60_000 }),
      stale: true,
    },
    {
      name: "is live when its time cannot be read",
      lock: lock({ hostname: "laptop", takenAt: Number.NaN }),
      stale: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = judgeLock(c.lock, { ...rules, ...c.rules });
      assert.equal(v.stale, c.stale, v.why);
      assert.match(v.why, /@/);
    });
  }

  it("is read from the CLI's lock file", () => {
    const text = '{"pid":5658,"username":"root","hostname":"vm","timestamp":"2026-12-02T03:15:40.123Z"}';
    assert.deepEqual(parseLock("a.json", text), {
      key: "a.json",
      pid: 5658,
      username: "root",
      hostname: "vm",
      takenAt: Date.parse("2026-12-02T03:15:40.123Z"),
    });
    assert.ok(Number.isNaN(parseLock("b.json", "not json").takenAt));
  });
});

describe("the lock files of a stack on local disk", () => {
  it("are listed and removed one by one, by key", async () => {
    const root = await mkdtemp(join(tmpdir(), "setpoint-locks-"));
    try {
      const dir = join(root, lockDir("team-a", "orders"));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "1.json"), '{"pid":1,"hostname":"a","timestamp":"2026-12-02T00:00:00Z"}');
      await writeFile(join(dir, "2.json"), '{"pid":2,"hostname":"b","timestamp":"2026-12-02T00:00:00Z"}');
      const store = localLockStore(root);
      const found = await store.list("team-a", "orders");
      assert.deepEqual(found.map((l) => l.pid).sort(), [1, 2]);
      await store.remove(found.find((l) => l.pid === 1) as StackLock);
      assert.deepEqual(await readdir(dir), ["2.json"]);
      assert.deepEqual(await store.list("team-a", "no-such-stack"), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
