import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { targetGroupAwsName } from "../../providers/aws/elbv2/index.ts";
import {
  changedFixtures,
  cloudFindings,
  cloudNameOf,
  idsNamedIn,
  type ObservedCr,
  percentile,
  secretsIn,
  unconverged,
} from "./checks.ts";
import type { DbRecord, Inventory, LbRecord, ListenerRecord, TgRecord } from "./inventory.ts";

const owner = (cr: ObservedCr) => ({
  "setpoint.dev/owner": `${cr.namespace}/${cr.name}`,
  "setpoint.dev/uid": cr.uid,
});

const ready = {
  observedGeneration: 1,
  conditions: [
    { type: "Ready", status: "True", reason: "Available" },
    { type: "Synced", status: "True", reason: "ReconcileSuccess" },
    { type: "Drifted", status: "False", reason: "InSync" },
  ],
};

const sql: ObservedCr = {
  kind: "SqlInstance",
  namespace: "ns",
  name: "db-1",
  uid: "uid-db",
  generation: 1,
  deleting: false,
  annotations: {},
  forProvider: { instanceClass: "db.t3.micro", allocatedStorage: 20, tags: { team: "a" } },
  status: ready,
};

const lb: ObservedCr = {
  kind: "LoadBalancer",
  namespace: "ns",
  name: "lb-1",
  uid: "uid-lb",
  generation: 1,
  deleting: false,
  annotations: {},
  forProvider: {
    attributes: { "idle_timeout.timeout_seconds": "60" },
    tags: { team: "a" },
    targetGroups: [{ name: "web", protocol: "HTTP", port: 8080, healthCheck: { path: "/healthz" } }],
    listeners: [{ port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: "web" } }],
  },
  status: ready,
};

function db(over: Partial<DbRecord> = {}): DbRecord {
  return {
    id: cloudNameOf(sql),
    arn: "arn:db",
    status: "available",
    engine: "postgres",
    instanceClass: "db.t3.micro",
    allocatedStorage: 20,
    backupRetentionPeriod: 1,
    deletionProtection: false,
    multiAZ: false,
    securityGroups: [],
    tags: { team: "a", ...owner(sql) },
    ...over,
  };
}

const lbName = cloudNameOf(lb);
const tgName = targetGroupAwsName(lbName, "web");

function inventory(over: Partial<Inventory> = {}): Inventory {
  const balancer: LbRecord = {
    name: lbName,
    arn: "arn:lb",
    type: "application",
    scheme: "internet-facing",
    state: "active",
    subnets: [],
    securityGroups: [],
    attributes: { "idle_timeout.timeout_seconds": "60", "deletion_protection.enabled": "false" },
    tags: { team: "a", ...owner(lb) },
  };
  const tg: TgRecord = {
    name: tgName,
    arn: "arn:tg",
    protocol: "HTTP",
    port: 8080,
    targetType: "ip",
    vpcId: "vpc-1",
    healthCheck: { protocol: "HTTP", path: "/healthz", intervalSeconds: 15, healthyThresholdCount: 3 },
    lbArns: ["arn:lb"],
    tags: { team: "a", ...owner(lb) },
  };
  const listener: ListenerRecord = {
    arn: "arn:listener",
    lbArn: "arn:lb",
    port: 80,
    protocol: "HTTP",
    actions: [{ type: "forward", targetGroupArn: "arn:tg" }],
    tags: { team: "a", ...owner(lb) },
  };
  return { dbs: [db()], lbs: [balancer], tgs: [tg], listeners: [listener], ...over };
}

describe("the chaos checks", () => {
  it("find nothing wrong when each resource has exactly its cloud resources, equal to its spec", () => {
    const inv = inventory();
    assert.deepEqual(cloudFindings(inv, [sql, lb], new Set()), { duplicated: [], leaked: [] });
    assert.deepEqual(unconverged(sql, "converge", inv), []);
    assert.deepEqual(unconverged(lb, "converge", inv), []);
  });

  it("count a second load balancer or DB instance with one uid as duplicated", () => {
    const inv = inventory();
    inv.lbs.push({ ...(inv.lbs[0] as LbRecord), arn: "arn:lb-2" });
    inv.dbs.push(db({ id: "other-id", arn: "arn:db-2" }));
    const { duplicated } = cloudFindings(inv, [sql, lb], new Set());
    assert.deepEqual(
      duplicated.map((d) => [d.type, d.id]),
      [
        ["dbInstance", "other-id"],
        ["loadBalancer", "arn:lb-2"],
      ],
    );
  });

  it("count two listeners on one port as duplicated", () => {
    const inv = inventory();
    inv.listeners.push({ ...(inv.listeners[0] as ListenerRecord), arn: "arn:listener-2" });
    assert.deepEqual(
      cloudFindings(inv, [sql, lb], new Set()).duplicated.map((d) => d.id),
      ["arn:listener-2"],
    );
  });

  it("count as leaked what a deleted resource left, what carries no uid, and a target group the spec dropped", () => {
    const inv = inventory();
    inv.tgs.push({ ...(inv.tgs[0] as TgRecord), name: "dropped-from-spec", arn: "arn:tg-old" });
    inv.dbs.push(db({ id: "untagged", tags: {} }));
    const { leaked } = cloudFindings(inv, [lb], new Set());
    assert.deepEqual(
      leaked.map((l) => [l.type, l.id]).sort(),
      [
        ["dbInstance", cloudNameOf(sql)],
        ["dbInstance", "untagged"],
        ["targetGroup", "arn:tg-old"],
      ].sort(),
    );
  });

  it("leave the foreign fixtures out of duplicates and leaks", () => {
    const inv = inventory();
    inv.dbs.push(db({ id: "foreign-untagged-db", tags: {} }));
    assert.deepEqual(cloudFindings(inv, [sql, lb], new Set(["foreign-untagged-db"])).leaked, []);
  });

  it("say where the cloud differs from the spec, field by field", () => {
    const inv = inventory({ dbs: [db({ allocatedStorage: 70, tags: { ...owner(sql), team: "intruder" } })] });
    inv.listeners = [];
    (inv.lbs[0] as LbRecord).attributes["idle_timeout.timeout_seconds"] = "777";
    assert.deepEqual(unconverged(sql, "converge", inv), [
      "allocatedStorage 70 (want 20)",
      "DB tag team=intruder (want a)",
    ]);
    assert.deepEqual(unconverged(lb, "converge", inv), [
      "attribute idle_timeout.timeout_seconds=777 (want 60)",
      "listener 80 missing",
    ]);
  });

  it("do not count a status for an older generation, or one not Ready, as converged", () => {
    const stale = { ...sql, generation: 2 };
    assert.match(unconverged(stale, "converge", inventory()).join(), /observedGeneration 1 != generation 2/);
    const failing = {
      ...sql,
      status: { ...ready, conditions: [{ type: "Synced", status: "False", reason: "ReconcileError" }] },
    };
    assert.match(unconverged(failing, "converge", inventory()).join(), /Ready=absent.*Synced=False/);
  });

  it("expect a squatter to be refused with the refusal's code, owning nothing", () => {
    const refusedWith = (message: string) => ({
      ...sql,
      uid: "uid-squatter",
      status: {
        conditions: [{ type: "Synced", status: "False", reason: "ReconcileTerminal", message }],
      },
    });
    const foreign = refusedWith("cannot manage external resource: ForeignOwner: SqlInstance x exists");
    assert.deepEqual(unconverged(foreign, { refusedWith: "ForeignOwner" }, inventory()), []);
    assert.deepEqual(unconverged(foreign, { refusedWith: "AdoptionNotAllowed" }, inventory()), [
      'Synced message "cannot manage external resource: ForeignOwner: SqlInstance x exists" does not name AdoptionNotAllowed',
    ]);
    assert.deepEqual(unconverged(sql, { refusedWith: "ForeignOwner" }, inventory()), [
      "Synced=True ReconcileSuccess, want False ReconcileTerminal",
      "1 cloud resources carry its uid",
    ]);
  });

  it("report a fixture that changed or went away", () => {
    const before = new Map<string, unknown>([
      ["a", { x: 1 }],
      ["b", { y: 2 }],
    ]);
    const after = new Map<string, unknown>([["a", { x: 2 }]]);
    assert.deepEqual(changedFixtures(before, after), [
      { id: "a", before: '{"x":1}', after: '{"x":2}' },
      { id: "b", before: '{"y":2}', after: "(gone)" },
    ]);
  });

  it("find the identifiers a form-encoded AWS request names", () => {
    const arn =
      "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/foreign-lb/50dc6c495c0c9188";
    const body = new URLSearchParams({ Action: "DeleteLoadBalancer", LoadBalancerArn: arn }).toString();
    assert.deepEqual(idsNamedIn(body, [arn, "foreign-db", "foreign-lb"]), [arn, "foreign-lb"]);
    assert.deepEqual(idsNamedIn('{"Name":"foreign-db"}', ["foreign-db"]), ["foreign-db"]);
  });

  it("find a secret in text, ignoring values too short to be one", () => {
    assert.deepEqual(
      secretsIn('{"msg":"pw is hunter2-very-secret"}', ["hunter2-very-secret", "app", "nothere-12"]),
      ["hunter2-very-secret"],
    );
  });

  it("take the nearest-rank percentile", () => {
    assert.equal(percentile([], 0.99), undefined);
    assert.equal(percentile([3, 1, 2], 1), 3);
    assert.equal(percentile([...Array.from({ length: 100 }, (_, i) => i + 1)], 0.99), 99);
  });
});
