// The fault proxy on real loopback sockets, driven by the real AWS SDK clients, with a small HTTP
// server standing in for the emulator so that no moto is needed: what the SDK makes of each fault is
// the point, and the stand-in records exactly which calls reached "the cloud".
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  CreateLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  AWS_FAULTS,
  type AwsFault,
  AwsFaultProxy,
  type AwsFaultProxyOptions,
  callDraw,
  type FaultRates,
  faultForDraw,
  isMutatingAction,
} from "./aws-fault-proxy.ts";
import { StandInEmulator } from "./aws-stand-in.ts";

const emulator = new StandInEmulator();
let proxy: AwsFaultProxy | undefined;
const clients: { destroy(): void }[] = [];

before(() => emulator.start());
after(() => emulator.stop());
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await proxy?.close();
  proxy = undefined;
  emulator.received.length = 0;
});

async function startProxy(opts: Partial<AwsFaultProxyOptions> = {}): Promise<AwsFaultProxy> {
  proxy = await AwsFaultProxy.start({ target: emulator.url, ...opts });
  return proxy;
}

function sdkConfig(p: AwsFaultProxy, maxAttempts: number, requestTimeout?: number) {
  return {
    region: "us-east-1",
    endpoint: p.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts,
    ...(requestTimeout
      ? { requestHandler: { requestTimeout, throwOnRequestTimeout: true, socketTimeout: requestTimeout } }
      : {}),
  };
}

function elbv2(p: AwsFaultProxy, maxAttempts = 1, requestTimeout?: number) {
  const c = new ElasticLoadBalancingV2Client(sdkConfig(p, maxAttempts, requestTimeout));
  clients.push(c);
  return c;
}
function rds(p: AwsFaultProxy, maxAttempts = 1) {
  const c = new RDSClient(sdkConfig(p, maxAttempts));
  clients.push(c);
  return c;
}
function ec2(p: AwsFaultProxy, maxAttempts = 1) {
  const c = new EC2Client(sdkConfig(p, maxAttempts));
  clients.push(c);
  return c;
}

const createLb = () => new CreateLoadBalancerCommand({ Name: "lb", Subnets: ["subnet-1"] });
const describeLbs = () => new DescribeLoadBalancersCommand({});

/** The SDK's error, for asserting on its name, code and HTTP status. */
async function failure(p: Promise<unknown>): Promise<{ name: string; code?: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; code?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, ...(e.code ? { code: e.code } : {}), status: e.$metadata?.httpStatusCode };
  }
  assert.fail("the call succeeded");
}

describe("AwsFaultProxy", () => {
  it("passes calls through, counting them per action and telling changes from reads", async () => {
    const p = await startProxy();
    const c = elbv2(p);
    await c.send(describeLbs());
    await c.send(createLb());
    assert.deepEqual(emulator.received, ["DescribeLoadBalancers", "CreateLoadBalancer"]);
    const stats = p.stats();
    assert.equal(stats.calls, 2);
    assert.equal(stats.mutatingCalls, 1);
    assert.deepEqual(stats.callsByAction, { DescribeLoadBalancers: 1, CreateLoadBalancer: 1 });
    assert.deepEqual(
      p.calls().map((r) => [r.seq, r.service, r.action, r.mutating, r.status, r.forwarded]),
      [
        [1, "elasticloadbalancing", "DescribeLoadBalancers", false, 200, true],
        [2, "elasticloadbalancing", "CreateLoadBalancer", true, 200, true],
      ],
    );
  });

  const shapes: {
    name: string;
    fault: AwsFault;
    send: (p: AwsFaultProxy) => Promise<unknown>;
    codes: string[];
    statuses: number[];
  }[] = [
    {
      name: "throttles ELBv2 in the query protocol's shape, read by the SDK as Throttling",
      fault: "throttle",
      send: (p) => elbv2(p).send(describeLbs()),
      codes: ["Throttling"],
      statuses: [400],
    },
    {
      name: "throttles RDS in the query protocol's shape, read by the SDK as Throttling",
      fault: "throttle",
      send: (p) => rds(p).send(new DescribeDBInstancesCommand({})),
      codes: ["Throttling"],
      statuses: [400],
    },
    {
      name: "throttles EC2 in EC2's own shape, read by the SDK as RequestLimitExceeded",
      fault: "throttle",
      send: (p) => ec2(p).send(new DescribeVpcsCommand({})),
      codes: ["RequestLimitExceeded"],
      statuses: [503],
    },
    {
      name: "answers ELBv2 with a 5xx the SDK reads as InternalFailure or ServiceUnavailable",
      fault: "serverError",
      send: (p) => elbv2(p).send(describeLbs()),
      codes: ["InternalFailure", "ServiceUnavailable"],
      statuses: [500, 503],
    },
    {
      name: "answers EC2 with a 5xx in EC2's shape, InternalError or Unavailable",
      fault: "serverError",
      send: (p) => ec2(p).send(new DescribeVpcsCommand({})),
      codes: ["InternalError", "Unavailable"],
      statuses: [500, 503],
    },
  ];
  for (const s of shapes) {
    it(`${s.name}, without reaching the emulator`, async () => {
      const p = await startProxy();
      p.inject({ fault: s.fault });
      const e = await failure(s.send(p));
      assert.ok(s.codes.includes(e.name), `error name ${e.name}`);
      assert.ok(s.statuses.includes(e.status ?? 0), `status ${e.status}`);
      assert.deepEqual(emulator.received, []);
      assert.equal(p.stats().faults[s.fault], 1);
    });
  }

  it("lets the SDK retry a throttled call, which then reaches the emulator once", async () => {
    const p = await startProxy();
    p.inject({ action: "DescribeLoadBalancers", fault: "throttle" });
    await elbv2(p, 2).send(describeLbs());
    assert.equal(emulator.count("DescribeLoadBalancers"), 1);
    assert.equal(p.stats().callsByAction.DescribeLoadBalancers, 2);
    assert.deepEqual(
      p.calls().map((r) => r.fault ?? "-"),
      ["throttle", "-"],
    );
  });

  it("resets the connection before the emulator sees the call", async () => {
    const p = await startProxy();
    p.inject({ action: "CreateLoadBalancer", fault: "reset" });
    const e = await failure(elbv2(p).send(createLb()));
    assert.equal(e.code, "ECONNRESET");
    assert.equal(emulator.count("CreateLoadBalancer"), 0);
    assert.equal(p.calls()[0]?.forwarded, false);
  });

  it("holds a slow answer past the client's timeout, after the emulator applied the call", async () => {
    const p = await startProxy({ slowMs: 5_000 });
    p.inject({ action: "CreateLoadBalancer", fault: "slow" });
    const started = Date.now();
    const e = await failure(elbv2(p, 1, 300).send(createLb()));
    assert.equal(e.name, "TimeoutError");
    assert.ok(Date.now() - started < 4_000, "the client gave up, not the proxy");
    assert.equal(emulator.count("CreateLoadBalancer"), 1, "applied although the caller timed out");
  });

  it("drops the answer after the emulator applied a create, and the SDK then sends the create again", async () => {
    const p = await startProxy();
    const rule = p.inject({ action: "CreateLoadBalancer", fault: "dropAfterApply" });
    await elbv2(p, 3).send(createLb());
    await rule.done;
    // The duplicate-create hazard itself: one create asked for, two applied.
    assert.equal(emulator.count("CreateLoadBalancer"), 2);
    assert.deepEqual(
      p.calls().map((r) => [r.fault ?? "-", r.forwarded, r.status]),
      [
        ["dropAfterApply", true, undefined],
        ["-", true, 200],
      ],
    );
    assert.equal(p.stats().faults.dropAfterApply, 1);
  });

  it("faults the matching calls a rule names, after the ones it skips, and says when it is done", async () => {
    const p = await startProxy();
    const rule = p.inject({ action: /^Describe/, fault: "throttle", skip: 1, times: 2 });
    const c = elbv2(p);
    await c.send(describeLbs());
    await c.send(createLb());
    await failure(c.send(describeLbs()));
    await failure(c.send(describeLbs()));
    await c.send(describeLbs());
    await rule.done;
    assert.equal(rule.hits, 2);
    assert.deepEqual(
      rule.records.map((r) => r.seq),
      [3, 4],
    );
    assert.deepEqual(emulator.received, [
      "DescribeLoadBalancers",
      "CreateLoadBalancer",
      "DescribeLoadBalancers",
    ]);
  });

  it("answers a refuse rule with the AWS error it names, which the SDK reads as that error", async () => {
    const p = await startProxy();
    p.inject({
      action: "CreateLoadBalancer",
      fault: "refuse",
      refusal: { code: "AccessDenied", message: "not allowed by policy", status: 403 },
    });
    const err = await failure(elbv2(p).send(createLb()));
    assert.deepEqual(err, { name: "AccessDenied", status: 403 });
    assert.deepEqual(emulator.received, [], "a refused call never reaches the emulator");
    assert.equal(p.stats().faults.refuse, 1);
    assert.throws(() => p.inject({ fault: "refuse" }), /needs the refusal/);
  });

  it("limits random faults to the calls randomFaultsOn picks", async () => {
    const p = await startProxy({ rates: { throttle: 1 }, randomFaultsOn: (c) => c.mutating });
    const c = elbv2(p);
    await c.send(describeLbs());
    const e = await failure(c.send(createLb()));
    assert.equal(e.name, "Throttling");
    assert.deepEqual(p.stats().faultsByAction, { CreateLoadBalancer: { throttle: 1 } });
  });

  it("passes the emulator's control API through, uncounted and never faulted", async () => {
    const p = await startProxy({ rates: { reset: 1 } });
    const res = await fetch(`${p.url}/moto-api/reset`, { method: "POST" });
    assert.equal(res.status, 200);
    await res.text();
    assert.deepEqual(emulator.received, ["control /moto-api/reset"]);
    assert.equal(p.stats().controlCalls, 1);
    assert.equal(p.stats().calls, 0);
  });

  it("replays the same random faults on the same calls for one seed, and others for another seed", async () => {
    const rates = { throttle: 0.2, serverError: 0.15, reset: 0.1, dropAfterApply: 0.1 };
    const run = async (seed: number) => {
      const p = await startProxy({ seed, rates });
      const c = elbv2(p);
      for (let i = 0; i < 30; i++)
        await (i % 3 === 0 ? c.send(createLb()) : c.send(describeLbs())).catch(() => {});
      const faults = p.calls().map((r) => r.fault ?? "-");
      const stats = p.stats();
      c.destroy();
      await p.close();
      proxy = undefined;
      return { faults, stats };
    };
    const a = await run(7);
    const b = await run(7);
    const other = await run(8);
    assert.deepEqual(a.faults, b.faults);
    assert.notDeepEqual(a.faults, other.faults);
    const injected = Object.values(a.stats.faults).reduce((x, y) => x + y, 0);
    assert.ok(injected > 0 && injected < 30, `${injected} of 30 calls faulted`);
    console.log(`[aws-fault-proxy] seed 7, 30 calls: faults ${JSON.stringify(a.stats.faults)}`);
  });
});

describe("AwsFaultProxy's pure parts", () => {
  it("draws each fault at close to its rate", () => {
    const rates: Record<AwsFault, number> = {
      throttle: 0.1,
      serverError: 0.05,
      reset: 0.05,
      slow: 0.02,
      dropAfterApply: 0.08,
      refuse: 0,
    };
    const n = 20_000;
    const seen = Object.fromEntries(AWS_FAULTS.map((f) => [f, 0])) as Record<AwsFault, number>;
    for (let i = 1; i <= n; i++) {
      const f = faultForDraw(callDraw(3, "elasticloadbalancing", "CreateListener", i), rates);
      if (f) seen[f]++;
    }
    for (const f of AWS_FAULTS) {
      assert.ok(Math.abs(seen[f] / n - rates[f]) < 0.01, `${f}: ${seen[f]} of ${n} for rate ${rates[f]}`);
    }
  });

  it("refuses rates that are unknown, out of range, or add up to more than 1", async () => {
    for (const rates of [
      { flood: 0.1 } as FaultRates,
      { throttle: 1.5 },
      { throttle: 0.6, reset: 0.6 },
      { refuse: 0.1 },
    ]) {
      await assert.rejects(AwsFaultProxy.start({ target: "http://127.0.0.1:1", rates }), /rate|fault/);
    }
  });

  it("counts Describe, List and Get calls as reads and everything else as changes", () => {
    assert.deepEqual(
      ["DescribeTags", "ListTagsForResource", "GetCallerIdentity", "AddTags", "CreateDBInstance"].map(
        isMutatingAction,
      ),
      [false, false, false, true, true],
    );
  });
});
