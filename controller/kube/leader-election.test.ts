import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FakeClock } from "../clock.ts";
import {
  judgeLease,
  LeaderElector,
  type LeaseRecord,
  type LeaseStore,
  nextRecord,
  releasedRecord,
} from "./leader-election.ts";

const held = (holder: string, renewTime: number, leaseDurationSeconds = 15): LeaseRecord => ({
  holderIdentity: holder,
  leaseDurationSeconds,
  renewTime,
  acquireTime: renewTime,
  leaseTransitions: 3,
});

describe("judgeLease", () => {
  const cases: { name: string; record: LeaseRecord; now: number; want: string }[] = [
    { name: "a lease without a holder is free", record: held("", 0), now: 1_000, want: "free" },
    {
      name: "our own lease is ours to renew, even if expired",
      record: held("me", 0),
      now: 999_000,
      want: "mine",
    },
    {
      name: "another holder within its duration holds it",
      record: held("other", 10_000),
      now: 24_999,
      want: "held",
    },
    {
      name: "exactly at renewTime + duration it is still held",
      record: held("other", 10_000),
      now: 25_000,
      want: "held",
    },
    {
      name: "past renewTime + duration it has expired",
      record: held("other", 10_000),
      now: 25_001,
      want: "expired",
    },
    {
      name: "a renewTime in the future (clock skew) counts as held",
      record: held("other", 50_000),
      now: 10_000,
      want: "held",
    },
    {
      name: "a holder that never wrote a time has expired",
      record: { holderIdentity: "other", leaseDurationSeconds: 15, leaseTransitions: 0 },
      now: 0,
      want: "expired",
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(judgeLease(c.record, "me", c.now).state, c.want);
    });
  }
});

describe("nextRecord and releasedRecord", () => {
  test("creating a lease starts with zero transitions", () => {
    assert.deepEqual(nextRecord(undefined, "me", 5, 15), {
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      acquireTime: 5,
      renewTime: 5,
      leaseTransitions: 0,
    });
  });

  test("renewing keeps acquireTime and the transition count", () => {
    const r = nextRecord({ ...held("me", 100), acquireTime: 50, resourceVersion: "7" }, "me", 200, 15);
    assert.equal(r.acquireTime, 50);
    assert.equal(r.renewTime, 200);
    assert.equal(r.leaseTransitions, 3);
    assert.equal(r.resourceVersion, "7");
  });

  test("taking over counts a transition and resets acquireTime", () => {
    const r = nextRecord(held("other", 100), "me", 200, 15);
    assert.equal(r.holderIdentity, "me");
    assert.equal(r.acquireTime, 200);
    assert.equal(r.leaseTransitions, 4);
  });

  test("a released lease has no holder, so the next replica may take it at once", () => {
    const r = releasedRecord(held("me", 100), 300);
    assert.equal(judgeLease(r, "next", 300).state, "free");
  });
});

/** One Lease in memory with resourceVersion checks, shared by several electors. */
class MemoryLease {
  record: LeaseRecord | undefined;
  rv = 0;
  writes: string[] = [];

  storeFor(identity: string, failing: { value: boolean } = { value: false }): LeaseStore {
    const conflict = () => Object.assign(new Error("Conflict"), { code: 409 });
    const check = () => {
      if (failing.value)
        throw Object.assign(new Error(`${identity}: connection refused`), { code: "ECONNREFUSED" });
    };
    return {
      get: async () => {
        check();
        return this.record ? { ...this.record } : undefined;
      },
      create: async (r) => {
        check();
        if (this.record) throw conflict();
        this.record = { ...r, resourceVersion: String(++this.rv) };
        this.writes.push(`${identity}:create`);
        return { ...this.record };
      },
      update: async (r) => {
        check();
        if (!this.record || r.resourceVersion !== this.record.resourceVersion) throw conflict();
        this.record = { ...r, resourceVersion: String(++this.rv) };
        this.writes.push(`${identity}:update:${r.holderIdentity || "(none)"}`);
        return { ...this.record };
      },
    };
  }
}

function elector(
  lease: MemoryLease,
  clock: FakeClock,
  identity: string,
  events: string[],
  failing?: { value: boolean },
) {
  return new LeaderElector({
    store: lease.storeFor(identity, failing),
    namespace: "ns",
    name: "lease",
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    random: () => 0,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: () => events.push(`${identity} stopped`),
  });
}

describe("LeaderElector", () => {
  test("of two electors one leads and the other waits while the leader keeps renewing", async () => {
    const clock = new FakeClock(1_000_000);
    const lease = new MemoryLease();
    const events: string[] = [];
    const a = elector(lease, clock, "a", events);
    const b = elector(lease, clock, "b", events);
    a.start();
    await clock.settle();
    b.start();
    await clock.advance(60_000);
    assert.deepEqual(events, ["a started"]);
    assert.equal(a.isLeader(), true);
    assert.equal(b.isLeader(), false);
    assert.equal(b.observedLeader, "a");
    assert.ok(lease.writes.filter((w) => w === "a:update:a").length >= 25, "renews every retry period");
    await a.release();
    await b.release();
  });

  test("a leader that cannot renew steps down after renewDeadline, and the other takes over once the lease expires", async () => {
    const clock = new FakeClock(1_000_000);
    const lease = new MemoryLease();
    const events: string[] = [];
    const aDown = { value: false };
    const a = elector(lease, clock, "a", events, aDown);
    const b = elector(lease, clock, "b", events);
    a.start();
    await clock.settle();
    b.start();
    await clock.advance(4_000);
    const lastRenew = lease.record?.renewTime ?? 0;

    aDown.value = true; // a's apiserver connection dies: it can no longer renew
    await clock.advance(10_000);
    assert.deepEqual(events, ["a started", "a stopped"], "a stepped down within renewDeadline");
    assert.equal(a.isLeader(), false);
    assert.equal(b.isLeader(), false, "b waits for the lease to expire");

    await clock.advance(10_000);
    assert.deepEqual(events, ["a started", "a stopped", "b started"]);
    assert.equal(lease.record?.holderIdentity, "b");
    assert.equal(lease.record?.leaseTransitions, 1);
    assert.ok((lease.record?.acquireTime ?? 0) > lastRenew + 15_000, "b took over only after expiry");
    await b.release();
  });

  test("release() hands the lease over at the next retry instead of after a lease duration", async () => {
    const clock = new FakeClock(1_000_000);
    const lease = new MemoryLease();
    const events: string[] = [];
    const a = elector(lease, clock, "a", events);
    const b = elector(lease, clock, "b", events);
    a.start();
    await clock.settle();
    b.start();
    await clock.advance(3_000);
    await a.release();
    assert.equal(lease.record?.holderIdentity, "");
    await clock.advance(2_500);
    assert.deepEqual(events, ["a started", "b started"], "release is not reported as a loss");
    assert.equal(b.isLeader(), true);
    await b.release();
  });

  test("a leader that finds another holder on the lease steps down at once", async () => {
    const clock = new FakeClock(1_000_000);
    const lease = new MemoryLease();
    const events: string[] = [];
    let signal: AbortSignal | undefined;
    const a = new LeaderElector({
      store: lease.storeFor("a"),
      namespace: "ns",
      name: "lease",
      identity: "a",
      clock,
      random: () => 0,
      onStartedLeading: (s) => {
        signal = s;
        events.push("a started");
      },
      onStoppedLeading: () => events.push("a stopped"),
    });
    a.start();
    await clock.settle();
    assert.equal(signal?.aborted, false);
    // Someone overwrites the lease (say, an operator forcing a hand-over).
    lease.record = { ...held("intruder", clock.now()), resourceVersion: String(++lease.rv) };
    await clock.advance(2_000);
    assert.deepEqual(events, ["a started", "a stopped"]);
    assert.equal(signal?.aborted, true);
  });

  test("settings that could let two replicas lead at once are refused", () => {
    const base = { store: new MemoryLease().storeFor("x"), namespace: "n", name: "l" };
    const cb = { onStartedLeading() {}, onStoppedLeading() {} };
    assert.throws(
      () => new LeaderElector({ ...base, ...cb, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }),
      RangeError,
    );
    assert.throws(
      () => new LeaderElector({ ...base, ...cb, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
      RangeError,
    );
  });
});
