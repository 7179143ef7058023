import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadBalancerForProvider } from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import {
  ForeignResourceError,
  isTerminal,
  RetryAfterError,
  type TerminalError,
} from "../../../controller/provider.ts";
import { externalNameOf, LoadBalancerClient, type LoadBalancerManaged } from "./client.ts";
import { awsError, FakeElb } from "./fake.test-helper.ts";
import { targetGroupAwsName } from "./names.ts";

function managed(name: string, fp: Record<string, unknown> = {}, uid = `uid-${name}`): LoadBalancerManaged {
  return {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "LoadBalancer",
    metadata: { name, namespace: "team-a", uid },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: LoadBalancerForProvider.parse({
        subnets: ["subnet-01", "subnet-02"],
        targetGroups: [{ name: "web", protocol: "HTTP", port: 80 }],
        listeners: [
          { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web" } },
        ],
        ...fp,
      }),
    },
    status: {},
  };
}

const own = (mr: LoadBalancerManaged) => ({
  "setpoint.dev/owner": `${mr.metadata.namespace}/${mr.metadata.name}`,
  "setpoint.dev/uid": mr.metadata.uid!,
});

async function created(fake: FakeElb, mr: LoadBalancerManaged) {
  const client = new LoadBalancerClient(fake);
  await client.create(mr);
  const obs = await client.observe(mr);
  mr.status = { atProvider: obs.atProvider! };
  fake.calls.length = 0;
  return client;
}

async function rejectsWithCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isTerminal(err), `expected a TerminalError, got ${String(err)}`);
    assert.equal((err as TerminalError).code, code);
    return true;
  });
}

describe("LoadBalancerClient.create", () => {
  it("creates the load balancer, then target groups, then listeners, all tagged with our uid", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = new LoadBalancerClient(fake);
    const out = await client.create(mr);
    const mutating = fake.ops().filter((op) => op.startsWith("create"));
    assert.deepEqual(mutating, ["createLoadBalancer", "createTargetGroup", "createListener"]);
    for (const tags of fake.tags.values()) assert.equal(tags["setpoint.dev/uid"], "uid-web");
    assert.ok(out.connectionDetails?.dnsName);
  });

  it("after a lost response reports the name taken, and the update that follows makes no duplicates", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const name = externalNameOf(mr);
    fake.addLoadBalancer(name, own(mr));
    fake.addTargetGroup(targetGroupAwsName(name, "web"), own(mr));
    const client = new LoadBalancerClient(fake);
    assert.deepEqual(await client.create(mr), { alreadyExists: true });
    await client.update(mr, await client.observe(mr));
    assert.equal(fake.count("createLoadBalancer"), 0);
    assert.equal(fake.count("createTargetGroup"), 0);
    assert.equal(fake.count("createListener"), 1);
    assert.equal(fake.lbs.size, 1);
    assert.equal(fake.tgs.size, 1);
  });

  it("reports a load balancer name that another resource holds as taken, creating nothing", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    fake.addLoadBalancer(externalNameOf(mr), { "setpoint.dev/uid": "someone-else" });
    assert.deepEqual(await new LoadBalancerClient(fake).create(mr), { alreadyExists: true });
    assert.deepEqual(
      fake.ops().filter((op) => !op.startsWith("describe")),
      [],
    );
  });

  it("refuses a target group name that another resource owns", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    fake.addTargetGroup(targetGroupAwsName(externalNameOf(mr), "web"), {
      "setpoint.dev/uid": "someone-else",
    });
    await rejectsWithCode(new LoadBalancerClient(fake).create(mr), "ForeignOwner");
    assert.equal(fake.count("createListener"), 0, "no listener forwards to a foreign target group");
  });

  it("asks to be retried shortly when AWS created the load balancer but shows it to no describe yet", async () => {
    const fake = new FakeElb();
    const create = fake.createLoadBalancer.bind(fake);
    fake.createLoadBalancer = async (input) => {
      await create(input);
      fake.lbs.clear(); // not visible yet, as right after a create in a busy region
      return { LoadBalancers: [], $metadata: {} };
    };
    await assert.rejects(new LoadBalancerClient(fake).create(managed("web")), (err: unknown) => {
      assert.ok(err instanceof RetryAfterError, String(err));
      assert.equal(err.delayMs, 5000);
      return true;
    });
  });

  it("turns an invalid spec into a TerminalError before any call", async () => {
    const fake = new FakeElb();
    const mr = managed("web", {
      listeners: [
        { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "nope" } },
      ],
    });
    await rejectsWithCode(new LoadBalancerClient(fake).create(mr), "InvalidSpec");
    assert.equal(fake.calls.length, 0);
  });

  it("classifies a ValidationError as terminal and throttling as transient", async () => {
    const fake = new FakeElb();
    fake.failOnce.createLoadBalancer = awsError("ValidationError", "bad name");
    await rejectsWithCode(new LoadBalancerClient(fake).create(managed("web")), "ValidationError");
    fake.failOnce.createLoadBalancer = awsError("ThrottlingException");
    await assert.rejects(
      new LoadBalancerClient(fake).create(managed("web")),
      (err: unknown) => !isTerminal(err),
    );
  });
});

describe("LoadBalancerClient.observeMany", () => {
  it("returns one observation per resource, keyed by external name, missing ones as not existing", async () => {
    const fake = new FakeElb();
    const mrs = [managed("a"), managed("b"), managed("never")];
    for (const mr of mrs.slice(0, 2)) await new LoadBalancerClient(fake).create(mr);
    const got = await new LoadBalancerClient(fake).observeMany(mrs);
    assert.deepEqual(
      mrs.map((mr) => got.get(externalNameOf(mr))?.exists),
      [true, true, false],
    );
  });

  it("describes 45 steady load balancers with a handful of calls, not several per resource", async () => {
    const fake = new FakeElb();
    const mrs = Array.from({ length: 45 }, (_, i) => managed(`svc-${i}`));
    for (const mr of mrs) await created(fake, mr);
    const obs = await new LoadBalancerClient(fake).observeMany(mrs);
    assert.ok([...obs.values()].every((o) => o.exists && o.drift.length === 0));
    // 45 names → 1 listed page of DescribeLoadBalancers; 45 TG names → 3; 45 listener ARNs → 3; 90 tag ARNs → 5.
    assert.equal(fake.count("describeLoadBalancers"), 1);
    assert.equal(fake.count("describeTargetGroups"), 3);
    assert.equal(fake.count("describeListeners"), 3);
    assert.equal(fake.count("describeTags"), 5);
    assert.equal(fake.count("describeLoadBalancerAttributes"), 0, "no attributes in the spec, none read");
    assert.ok(fake.calls.length / mrs.length <= 0.35, `${fake.calls.length} calls for ${mrs.length}`);
  });

  it("falls back to a per-load-balancer describe for a listener deleted out of band, and reports it", async () => {
    const fake = new FakeElb();
    const mrs = [managed("a"), managed("b")];
    for (const mr of mrs) await created(fake, mr);
    const gone = mrs[0]!.status!.atProvider!.listeners![0]!.arn;
    fake.listeners.delete(gone);
    const obs = await new LoadBalancerClient(fake).observeMany(mrs);
    assert.deepEqual(
      obs.get(externalNameOf(mrs[0]!))?.drift.map((d) => d.path),
      ["forProvider.listeners[port=80]"],
    );
    assert.equal(obs.get(externalNameOf(mrs[1]!))?.drift.length, 0);
    const perLb = fake.calls.filter(
      (c) => c.op === "describeListeners" && (c.input as { LoadBalancerArn?: string }).LoadBalancerArn,
    );
    assert.equal(perLb.length, 1);
  });

  it("reads attributes only for load balancers whose spec sets some", async () => {
    const fake = new FakeElb();
    const mrs = [managed("a", { attributes: { "idle_timeout.timeout_seconds": "120" } }), managed("b")];
    for (const mr of mrs) await created(fake, mr);
    const obs = await new LoadBalancerClient(fake).observeMany(mrs);
    assert.equal(fake.count("describeLoadBalancerAttributes"), 1);
    assert.equal(obs.get(externalNameOf(mrs[0]!))?.drift.length, 0);
  });
});

describe("LoadBalancerClient.update", () => {
  it("fixes drift with only the calls that differ", async () => {
    const fake = new FakeElb();
    const mr = managed("web", { attributes: { "idle_timeout.timeout_seconds": "120" }, tags: { team: "a" } });
    const client = await created(fake, mr);
    const lbArn = mr.status!.atProvider!.arn!;
    fake.attrs.get(lbArn)!["idle_timeout.timeout_seconds"] = "30";
    fake.tags.get(lbArn)!.team = "b";
    const obs = await client.observe(mr);
    fake.calls.length = 0;
    await client.update(mr, obs);
    assert.deepEqual(fake.ops(), ["modifyLoadBalancerAttributes", "addTags"]);
    assert.deepEqual((await client.observe(mr)).drift, []);
  });

  it("deletes a target group removed from the spec only after the listener stops forwarding to it", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    mr.spec.forProvider = LoadBalancerForProvider.parse({
      subnets: ["subnet-01", "subnet-02"],
      targetGroups: [{ name: "web2", protocol: "HTTP", port: 80 }],
      listeners: [
        { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web2" } },
      ],
    });
    const obs = await client.observe(mr);
    fake.calls.length = 0;
    await client.update(mr, obs);
    assert.deepEqual(fake.ops(), ["createTargetGroup", "modifyListener", "deleteTargetGroup"]);
    assert.deepEqual(
      [...fake.tgs.values()].map((t) => t.TargetGroupName),
      [targetGroupAwsName(externalNameOf(mr), "web2")],
    );
  });

  it("never deletes a listener or target group that does not carry our uid", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    const lbArn = mr.status!.atProvider!.arn!;
    const theirTg = fake.addTargetGroup("theirs", {});
    fake.addListener(lbArn, 9000, theirTg, {});
    // Status remembers a target group that is not ours any more.
    mr.status!.atProvider!.targetGroups!.push({ name: "old", arn: "x" });
    fake.addTargetGroup(targetGroupAwsName(externalNameOf(mr), "old"), {
      "setpoint.dev/uid": "someone-else",
    });
    const obs = await client.observe(mr);
    assert.deepEqual(obs.drift, []);
    await client.update(mr, obs);
    assert.equal(fake.count("deleteListener") + fake.count("deleteTargetGroup"), 0);
  });
});

describe("LoadBalancerClient.delete", () => {
  it("deletes listeners, then the load balancer, then our target groups, leaking none", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    const first = await client.delete(mr, await client.observe(mr), {});
    const mutating = fake.ops().filter((op) => op.startsWith("delete") || op.startsWith("modify"));
    assert.deepEqual(mutating, ["deleteListener", "deleteLoadBalancer", "deleteTargetGroup"]);
    assert.equal(first.gone, false, "the engine checks again after deleting the load balancer");
    assert.equal(fake.lbs.size + fake.tgs.size + fake.listeners.size, 0);
    assert.equal((await client.delete(mr, await client.observe(mr), {})).gone, true);
  });

  it("keeps the resource existing while a target group is still in use, then finishes", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    fake.failOnce.deleteTargetGroup = awsError("ResourceInUseException");
    await client.delete(mr, await client.observe(mr), {});
    mr.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
    const during = await client.observe(mr);
    assert.equal(during.exists, true);
    // Not `deleting`, which tells the engine to wait instead: the next delete finishes the job.
    assert.equal(during.deleting, false);
    assert.equal(
      during.ownership?.uid,
      mr.metadata.uid,
      "the leftovers are ours, so the engine may delete them",
    );
    assert.equal((await client.delete(mr, during, {})).gone, true);
    assert.equal(fake.tgs.size, 0);
    assert.equal((await client.observe(mr)).exists, false);
  });

  const protection: {
    name: string;
    spec: Record<string, string> | undefined;
    expect: { enabled: boolean; requested: boolean };
  }[] = [
    {
      name: "the spec asks for",
      spec: { "deletion_protection.enabled": "true" },
      expect: { enabled: true, requested: true },
    },
    { name: "was switched on out of band", spec: undefined, expect: { enabled: true, requested: false } },
  ];
  for (const c of protection) {
    it(`reports deletion protection that ${c.name} when the resource is being deleted`, async () => {
      const fake = new FakeElb();
      const mr = managed("web", c.spec ? { attributes: c.spec } : {});
      await created(fake, mr);
      fake.attrs.get(mr.status!.atProvider!.arn!)!["deletion_protection.enabled"] = "true";
      mr.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
      const obs = await new LoadBalancerClient(fake).observe(mr);
      assert.deepEqual(obs.deletionProtection, {
        ...c.expect,
        field: 'forProvider.attributes["deletion_protection.enabled"]',
      });
    });
  }

  it("turns off deletion protection before deleting when the engine says so, and only then", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    fake.attrs.get(mr.status!.atProvider!.arn!)!["deletion_protection.enabled"] = "true";
    await client.delete(mr, await client.observe(mr), { disableDeletionProtection: true });
    assert.ok(fake.ops().indexOf("modifyLoadBalancerAttributes") < fake.ops().indexOf("deleteLoadBalancer"));
    assert.equal(fake.lbs.size, 0);
  });

  it("stops before deleting a load balancer that carries another uid", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    fake.addLoadBalancer(externalNameOf(mr), { "setpoint.dev/uid": "someone-else" });
    await assert.rejects(
      new LoadBalancerClient(fake).delete(mr, { exists: true } as never, {}),
      ForeignResourceError,
    );
    assert.equal(fake.lbs.size, 1);
  });
});

describe("LoadBalancerClient with two load balancers of one name (possible in moto, not in AWS)", () => {
  /** A second load balancer with the resource's name, as a create sent twice leaves behind. */
  function duplicateOf(fake: FakeElb, mr: LoadBalancerManaged, tags = own(mr)): string {
    return fake.addLoadBalancer(externalNameOf(mr), tags, { CreatedTime: new Date("2030-01-01T00:00:00Z") });
  }

  it("reports the duplicate without touching anything, and update deletes it, keeping the recorded one", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    const recorded = mr.status!.atProvider!.arn;
    const extra = duplicateOf(fake, mr);
    const obs = await client.observe(mr);
    assert.deepEqual(obs.drift, [{ path: "(duplicates)", desired: [], observed: [extra] }]);
    assert.equal(
      obs.atProvider?.arn,
      recorded,
      "the recorded one is the resource, though DescribeLoadBalancers by name shows the newer",
    );
    assert.deepEqual(
      fake.ops().filter((op) => !op.startsWith("describe")),
      [],
    );
    await client.update(mr, obs);
    assert.deepEqual(
      fake.ops().filter((op) => !op.startsWith("describe")),
      ["deleteLoadBalancer"],
    );
    assert.deepEqual([...fake.lbs.keys()], [recorded]);
    assert.deepEqual((await client.observe(mr)).drift, []);
  });

  it("keeps the oldest when status recorded none", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    const first = mr.status!.atProvider!.arn;
    duplicateOf(fake, mr);
    mr.status = {};
    const obs = await client.observe(mr);
    assert.equal(obs.atProvider?.arn, first);
  });

  it("leaves a same-named load balancer that is not ours alone, and says so in a terminal error", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    const theirs = duplicateOf(fake, mr, {
      "setpoint.dev/uid": "someone-else",
      "setpoint.dev/owner": "team-b/web",
    });
    const obs = await client.observe(mr);
    assert.deepEqual(
      obs.drift.map((d) => d.path),
      ["(duplicates)"],
    );
    await rejectsWithCode(client.update(mr, obs), "ForeignOwner");
    assert.ok(fake.lbs.has(theirs), "never deleted");
    assert.equal(fake.count("deleteLoadBalancer"), 0);
  });

  it("deletes every load balancer of the name when the resource is deleted, leaving none behind", async () => {
    const fake = new FakeElb();
    const mr = managed("web");
    const client = await created(fake, mr);
    duplicateOf(fake, mr);
    await client.delete(mr, await client.observe(mr), {});
    assert.equal(fake.count("deleteLoadBalancer"), 2);
    assert.equal(fake.lbs.size, 0);
  });
});
