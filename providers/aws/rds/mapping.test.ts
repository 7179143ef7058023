import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DBInstance } from "@aws-sdk/client-rds";
import type { SqlInstanceParameters } from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import type { FieldDiff } from "../../../controller/provider.ts";
import { desiredTags } from "../shared/index.ts";
import { instance, params, sqlInstance, UID } from "./fixtures.test-util.ts";
import {
  compare,
  compareEngineVersions,
  connectionDetails,
  createInput,
  type DesiredTags,
  deriveIdentifier,
  diff,
  engineVersionDrifted,
  engineVersionMatches,
  isValidIdentifier,
  lateInit,
  type ModifiableField,
  modifyInput,
  readiness,
  toAtProvider,
} from "./mapping.ts";

const OWN = { "setpoint.dev/owner": "team-a/orders", "setpoint.dev/uid": UID };
const ownTags = (user?: Record<string, string>): DesiredTags => ({
  tags: { ...(user ?? {}), ...OWN },
  authoritative: user !== undefined,
});

describe("deriveIdentifier", () => {
  const cases: { name: string; ns: string; n: string; expect?: string; hashed?: boolean }[] = [
    {
      name: "joins namespace and name when they are already valid",
      ns: "team-a",
      n: "orders",
      expect: "team-a-orders",
    },
    { name: "replaces dots, which RDS forbids, and adds a hash", ns: "team-a", n: "orders.v2", hashed: true },
    { name: "collapses double hyphens and adds a hash", ns: "team-a", n: "a--b", hashed: true },
    { name: "prefixes a namespace that starts with a digit", ns: "1team", n: "db", hashed: true },
    { name: "shortens a long name with a hash", ns: "a".repeat(40), n: "b".repeat(40), hashed: true },
    { name: "shortens a 253-character name", ns: "ns", n: `x${"-y".repeat(126)}`, hashed: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const id = deriveIdentifier(c.ns, c.n);
      assert.ok(isValidIdentifier(id), `${id} is not a valid RDS identifier`);
      assert.equal(deriveIdentifier(c.ns, c.n), id, "not deterministic");
      if (c.expect) assert.equal(id, c.expect);
      if (c.hashed) assert.match(id, /-[0-9a-f]{8}$/);
    });
  }

  it("keeps two names apart when sanitising would merge them", () => {
    assert.notEqual(deriveIdentifier("team-a", "a.b"), deriveIdentifier("team-a", "a-b"));
    assert.notEqual(deriveIdentifier("team-a", "a--b"), deriveIdentifier("team-a", "a-b"));
  });

  it("keeps two long names with the same prefix apart", () => {
    const long = "x".repeat(70);
    assert.notEqual(deriveIdentifier("ns", `${long}1`), deriveIdentifier("ns", `${long}2`));
  });

  const validity: [string, boolean][] = [
    ["a", true],
    ["a-1", true],
    ["1a", false],
    ["a-", false],
    ["a--b", false],
    ["a_b", false],
    ["a".repeat(64), false],
  ];
  for (const [id, ok] of validity) {
    it(`judges "${id.length > 10 ? `${id.slice(0, 6)}…(${id.length})` : id}" ${ok ? "valid" : "invalid"}`, () => {
      assert.equal(isValidIdentifier(id), ok);
    });
  }
});

describe("readiness", () => {
  const cases: { status: string | undefined; ready: boolean; reason: string; inProgress: boolean }[] = [
    { status: "available", ready: true, reason: "Available", inProgress: false },
    { status: "storage-optimization", ready: true, reason: "Available", inProgress: false },
    { status: "creating", ready: false, reason: "Creating", inProgress: true },
    { status: "backing-up", ready: true, reason: "Available", inProgress: true },
    { status: "modifying", ready: true, reason: "Available", inProgress: true },
    { status: "resetting-master-credentials", ready: true, reason: "Available", inProgress: true },
    { status: "rebooting", ready: false, reason: "Unavailable", inProgress: true },
    { status: "upgrading", ready: false, reason: "Unavailable", inProgress: true },
    { status: "deleting", ready: false, reason: "Deleting", inProgress: true },
    { status: "failed", ready: false, reason: "Unavailable", inProgress: false },
    { status: "storage-full", ready: false, reason: "Unavailable", inProgress: false },
    { status: "incompatible-parameters", ready: false, reason: "Unavailable", inProgress: false },
    { status: "stopped", ready: false, reason: "Unavailable", inProgress: false },
    { status: undefined, ready: false, reason: "Unavailable", inProgress: false },
  ];
  for (const c of cases) {
    it(`maps status ${c.status} to Ready=${c.ready} (${c.reason})${c.inProgress ? ", in progress" : ""}`, () => {
      const r = readiness(c.status);
      assert.equal(r.ready.status, c.ready);
      assert.equal(r.ready.reason, c.reason);
      assert.equal(r.inProgress, c.inProgress);
    });
  }
  it("names the status in the message when not plainly available", () => {
    assert.match(readiness("storage-full").ready.message ?? "", /storage-full/);
  });
});

describe("toAtProvider and connectionDetails", () => {
  it("map the instance's non-secret state", () => {
    assert.deepEqual(toAtProvider(instance(), "7"), {
      dbInstanceIdentifier: "team-a-orders",
      arn: "arn:aws:rds:us-east-1:123456789012:db:team-a-orders",
      status: "available",
      endpoint: { address: "team-a-orders.abc.us-east-1.rds.amazonaws.com", port: 5432 },
      engineVersion: "16.4",
      resourceId: "db-ABC",
      deletionProtection: false,
      masterPasswordSecretVersion: "7",
    });
  });
  it("leave the endpoint out while RDS has not assigned one", () => {
    assert.equal(
      toAtProvider(instance({ Endpoint: undefined, DBInstanceStatus: "creating" })).endpoint,
      undefined,
    );
  });
  it("give endpoint, host, port, username, password and database", () => {
    assert.deepEqual(connectionDetails(instance({ DBName: "orders" }), "pw"), {
      host: "team-a-orders.abc.us-east-1.rds.amazonaws.com",
      port: "5432",
      endpoint: "team-a-orders.abc.us-east-1.rds.amazonaws.com:5432",
      username: "app",
      password: "pw",
      database: "orders",
    });
  });
  it("omit what is unknown instead of writing empty values", () => {
    const d = connectionDetails(instance({ Endpoint: undefined, DbInstancePort: 0 }), undefined);
    assert.deepEqual(d, { username: "app" });
  });
});

describe("createInput", () => {
  it("sends the required fields, the password and user plus owner tags", () => {
    const mr = sqlInstance({ tags: { team: "a" } });
    const input = createInput(
      "team-a-orders",
      mr.spec.forProvider,
      desiredTags(mr, mr.spec.forProvider.tags),
      "pw",
    );
    assert.deepEqual(input, {
      DBInstanceIdentifier: "team-a-orders",
      Engine: "postgres",
      DBInstanceClass: "db.t3.micro",
      AllocatedStorage: 20,
      MasterUsername: "app",
      MasterUserPassword: "pw",
      Tags: [
        { Key: "setpoint.dev/owner", Value: "team-a/orders" },
        { Key: "setpoint.dev/uid", Value: UID },
        { Key: "team", Value: "a" },
      ],
    });
  });
  it("sends every optional field the user set, and none they left empty", () => {
    const p = params({
      engineVersion: "16",
      storageType: "io1",
      iops: 3000,
      dbName: "orders",
      port: 6543,
      multiAZ: true,
      publiclyAccessible: false,
      backupRetentionPeriod: 0,
      deletionProtection: true,
      dbSubnetGroupName: "private",
      vpcSecurityGroupIds: ["sg-1", "sg-2"],
    });
    const input = createInput("x", p, {}, "pw");
    assert.equal(input.EngineVersion, "16");
    assert.equal(input.StorageType, "io1");
    assert.equal(input.Iops, 3000);
    assert.equal(input.DBName, "orders");
    assert.equal(input.Port, 6543);
    assert.equal(input.MultiAZ, true);
    assert.equal(input.PubliclyAccessible, false);
    assert.equal(input.BackupRetentionPeriod, 0);
    assert.equal(input.DeletionProtection, true);
    assert.equal(input.DBSubnetGroupName, "private");
    assert.deepEqual(input.VpcSecurityGroupIds, ["sg-1", "sg-2"]);
    const bare = createInput("x", params(), {}, "pw");
    for (const k of [
      "EngineVersion",
      "StorageType",
      "Port",
      "MultiAZ",
      "BackupRetentionPeriod",
      "VpcSecurityGroupIds",
    ]) {
      assert.ok(!(k in bare), `${k} sent although the user left it empty`);
    }
  });
});

describe("engine versions", () => {
  const matches: [string, string, boolean][] = [
    ["8.0", "8.0.35", true],
    ["8.0.35", "8.0.35", true],
    ["16", "16.4", true],
    ["8.0.3", "8.0.35", false],
    ["8.4", "8.0.35", false],
    ["8.0.35", "8.0", false],
  ];
  for (const [d, o, m] of matches) {
    it(`"${d}" ${m ? "matches" : "does not match"} observed "${o}"`, () =>
      assert.equal(engineVersionMatches(d, o), m));
  }
  it("compares numeric parts as numbers", () => {
    assert.ok(compareEngineVersions("8.0.9", "8.0.10") < 0);
    assert.ok(compareEngineVersions("16.10", "16.9") > 0);
    assert.equal(compareEngineVersions("8.0", "8.0"), 0);
  });
  const drift: [string, string, string | undefined, boolean, string][] = [
    ["16.4", "16.4", undefined, false, "equal versions are in sync"],
    ["16", "16.4", undefined, false, "a prefix is satisfied by any patch"],
    ["16.4", "16.6", undefined, false, "a higher observed version is never downgraded"],
    ["16.6", "16.4", undefined, true, "a lower observed version is upgraded"],
    ["16.6", "16.4", "16.6", false, "a pending upgrade to the desired version is not drift"],
    ["17", "16.4", undefined, true, "a major upgrade is drift"],
  ];
  for (const [d, o, p, want, name] of drift) {
    it(name, () => assert.equal(engineVersionDrifted(d, o, p), want));
  }
});

describe("diff", () => {
  it("is empty when the instance matches the spec", () => {
    assert.deepEqual(diff(params(), instance(), ownTags()), []);
  });

  const fieldCases: {
    name: string;
    spec: Partial<SqlInstanceParameters>;
    inst: Partial<DBInstance>;
    path?: string;
    desired?: unknown;
    observed?: unknown;
  }[] = [
    {
      name: "allocatedStorage",
      spec: { allocatedStorage: 30 },
      inst: {},
      path: "forProvider.allocatedStorage",
      desired: 30,
      observed: 20,
    },
    {
      name: "instanceClass",
      spec: { instanceClass: "db.t3.small" },
      inst: {},
      path: "forProvider.instanceClass",
      desired: "db.t3.small",
      observed: "db.t3.micro",
    },
    {
      name: "backupRetentionPeriod",
      spec: { backupRetentionPeriod: 7 },
      inst: {},
      path: "forProvider.backupRetentionPeriod",
      desired: 7,
      observed: 1,
    },
    {
      name: "deletionProtection",
      spec: { deletionProtection: true },
      inst: {},
      path: "forProvider.deletionProtection",
      desired: true,
      observed: false,
    },
    {
      name: "publiclyAccessible",
      spec: { publiclyAccessible: true },
      inst: {},
      path: "forProvider.publiclyAccessible",
      desired: true,
      observed: false,
    },
    {
      name: "multiAZ",
      spec: { multiAZ: true },
      inst: {},
      path: "forProvider.multiAZ",
      desired: true,
      observed: false,
    },
    {
      name: "engineVersion",
      spec: { engineVersion: "16.6" },
      inst: {},
      path: "forProvider.engineVersion",
      desired: "16.6",
      observed: "16.4",
    },
    { name: "port", spec: { port: 6543 }, inst: {}, path: "forProvider.port", desired: 6543, observed: 5432 },
    {
      name: "storageType",
      spec: { storageType: "gp2" },
      inst: {},
      path: "forProvider.storageType",
      desired: "gp2",
      observed: "gp3",
    },
    {
      name: "iops",
      spec: { storageType: "gp3", iops: 4000 },
      inst: { Iops: 3000 },
      path: "forProvider.iops",
      desired: 4000,
      observed: 3000,
    },
    {
      name: "vpcSecurityGroupIds",
      spec: { vpcSecurityGroupIds: ["sg-2", "sg-1"] },
      inst: {},
      path: "forProvider.vpcSecurityGroupIds",
      desired: ["sg-1", "sg-2"],
      observed: ["sg-1"],
    },
  ];
  for (const c of fieldCases) {
    it(`reports a changed ${c.name} at its spec path`, () => {
      assert.deepEqual(diff(params(c.spec), instance(c.inst), ownTags()), [
        { path: c.path, desired: c.desired, observed: c.observed },
      ]);
    });
  }

  const quiet: { name: string; spec: Partial<SqlInstanceParameters>; inst: Partial<DBInstance> }[] = [
    {
      name: "fields the user left empty are not drift",
      spec: {},
      inst: { BackupRetentionPeriod: 14, Endpoint: { Address: "h", Port: 1234 }, MultiAZ: true },
    },
    {
      name: "security groups compare as a set",
      spec: { vpcSecurityGroupIds: ["sg-2", "sg-1"] },
      inst: { VpcSecurityGroups: [{ VpcSecurityGroupId: "sg-1" }, { VpcSecurityGroupId: "sg-2" }] },
    },
    {
      name: "a security group being removed no longer counts",
      spec: { vpcSecurityGroupIds: ["sg-2"] },
      inst: {
        VpcSecurityGroups: [
          { VpcSecurityGroupId: "sg-1", Status: "removing" },
          { VpcSecurityGroupId: "sg-2", Status: "adding" },
        ],
      },
    },
    {
      name: "a pending storage change to the desired size is not drift",
      spec: { allocatedStorage: 40 },
      inst: { PendingModifiedValues: { AllocatedStorage: 40 } },
    },
    {
      name: "a pending class change to the desired class is not drift",
      spec: { instanceClass: "db.m5.large" },
      inst: { PendingModifiedValues: { DBInstanceClass: "db.m5.large" } },
    },
    {
      name: "a pending multi-AZ change is not drift",
      spec: { multiAZ: true },
      inst: { PendingModifiedValues: { MultiAZ: true } },
    },
    {
      name: "a pending port change is not drift",
      spec: { port: 6000 },
      inst: { PendingModifiedValues: { Port: 6000 } },
    },
    {
      name: "a pending backup retention change is not drift",
      spec: { backupRetentionPeriod: 9 },
      inst: { PendingModifiedValues: { BackupRetentionPeriod: 9 } },
    },
    {
      name: "a pending storage type change is not drift",
      spec: { storageType: "io1", iops: 1000 },
      inst: { Iops: 1000, PendingModifiedValues: { StorageType: "io1" } },
    },
    {
      name: "a value the cloud does not report is not drift",
      spec: { port: 6543, publiclyAccessible: true },
      inst: { Endpoint: undefined, DbInstancePort: 0, PubliclyAccessible: undefined },
    },
    { name: "an engine version prefix matches the patch release", spec: { engineVersion: "16" }, inst: {} },
    {
      name: "an automatic minor upgrade is not corrected into a downgrade",
      spec: { engineVersion: "16.2" },
      inst: {},
    },
  ];
  for (const c of quiet) {
    it(c.name, () => assert.deepEqual(diff(params(c.spec), instance(c.inst), ownTags()), []));
  }

  it("still reports a pending change that differs from the desired value", () => {
    const d = diff(
      params({ allocatedStorage: 40 }),
      instance({ PendingModifiedValues: { AllocatedStorage: 50 } }),
      ownTags(),
    );
    assert.deepEqual(d, [{ path: "forProvider.allocatedStorage", desired: 40, observed: 20 }]);
  });

  describe("tags", () => {
    const withTags = (extra: Record<string, string>) =>
      instance({
        TagList: [
          { Key: "setpoint.dev/owner", Value: "team-a/orders" },
          { Key: "setpoint.dev/uid", Value: UID },
          ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
        ],
      });
    const cases: {
      name: string;
      user?: Record<string, string>;
      observed: Record<string, string>;
      expect: FieldDiff[];
    }[] = [
      {
        name: "a changed user tag is drift",
        user: { team: "a" },
        observed: { team: "b" },
        expect: [{ path: 'forProvider.tags["team"]', desired: "a", observed: "b" }],
      },
      {
        name: "a missing user tag is drift",
        user: { team: "a" },
        observed: {},
        expect: [{ path: 'forProvider.tags["team"]', desired: "a", observed: undefined }],
      },
      {
        name: "an extra tag is drift when the user manages tags",
        user: {},
        observed: { rogue: "x" },
        expect: [{ path: 'forProvider.tags["rogue"]', desired: undefined, observed: "x" }],
      },
      {
        name: "an extra tag is left alone when the user left tags empty",
        observed: { rogue: "x" },
        expect: [],
      },
      {
        name: "aws: tags are never drift",
        user: {},
        observed: { "aws:cloudformation:stack-id": "x" },
        expect: [],
      },
    ];
    for (const c of cases) {
      it(c.name, () => assert.deepEqual(diff(params(), withTags(c.observed), ownTags(c.user)), c.expect));
    }
    it("a missing owner tag is drift, so an adopted instance gets tagged", () => {
      const d = diff(params(), instance({ TagList: [] }), ownTags());
      assert.deepEqual(
        d.map((x) => x.path),
        ['forProvider.tags["setpoint.dev/owner"]', 'forProvider.tags["setpoint.dev/uid"]'],
      );
    });
  });
});

describe("lateInit", () => {
  it("takes the cloud's value for every optional field the user left empty", () => {
    assert.deepEqual(lateInit(params(), instance()), {
      engineVersion: "16.4",
      port: 5432,
      storageType: "gp3",
      backupRetentionPeriod: 1,
      multiAZ: false,
      publiclyAccessible: false,
      deletionProtection: false,
      vpcSecurityGroupIds: ["sg-1"],
    });
  });
  it("never overrides a field the user set", () => {
    const p = params({
      engineVersion: "16",
      port: 6543,
      storageType: "gp2",
      backupRetentionPeriod: 3,
      multiAZ: true,
      publiclyAccessible: true,
      deletionProtection: true,
      vpcSecurityGroupIds: ["sg-9"],
    });
    assert.deepEqual(lateInit(p, instance()), {});
  });
  it("skips values the cloud does not report", () => {
    const li = lateInit(params(), instance({ PubliclyAccessible: undefined, VpcSecurityGroups: [] }));
    assert.ok(!("publiclyAccessible" in li));
    assert.ok(!("vpcSecurityGroupIds" in li));
  });
});

describe("modifyInput", () => {
  it("is undefined when no field is to change and no password is given", () => {
    assert.equal(modifyInput("x", params(), new Set()), undefined);
  });

  it("sends only the fields that differ, applied immediately, in one call", () => {
    const p = params({ allocatedStorage: 30, backupRetentionPeriod: 7, multiAZ: true, port: 6000 });
    const { modify } = compare(p, instance({ MultiAZ: true }), ownTags());
    assert.deepEqual(modifyInput("team-a-orders", p, modify), {
      DBInstanceIdentifier: "team-a-orders",
      ApplyImmediately: true,
      AllocatedStorage: 30,
      BackupRetentionPeriod: 7,
      DBPortNumber: 6000,
    });
  });

  const single: {
    name: string;
    spec: Partial<SqlInstanceParameters>;
    path: ModifiableField;
    expect: Record<string, unknown>;
  }[] = [
    {
      name: "instanceClass as DBInstanceClass",
      spec: { instanceClass: "db.m5.large" },
      path: "instanceClass",
      expect: { DBInstanceClass: "db.m5.large" },
    },
    {
      name: "deletionProtection",
      spec: { deletionProtection: true },
      path: "deletionProtection",
      expect: { DeletionProtection: true },
    },
    {
      name: "publiclyAccessible",
      spec: { publiclyAccessible: true },
      path: "publiclyAccessible",
      expect: { PubliclyAccessible: true },
    },
    {
      name: "vpcSecurityGroupIds",
      spec: { vpcSecurityGroupIds: ["sg-2"] },
      path: "vpcSecurityGroupIds",
      expect: { VpcSecurityGroupIds: ["sg-2"] },
    },
    {
      name: "engineVersion with permission for a major upgrade",
      spec: { engineVersion: "17.2" },
      path: "engineVersion",
      expect: { EngineVersion: "17.2", AllowMajorVersionUpgrade: true },
    },
    {
      name: "storageType with the IOPS it needs",
      spec: { storageType: "io1", iops: 2000 },
      path: "storageType",
      expect: { StorageType: "io1", Iops: 2000 },
    },
  ];
  for (const c of single) {
    it(`maps ${c.name}`, () => {
      assert.deepEqual(modifyInput("x", params(c.spec), new Set([c.path])), {
        DBInstanceIdentifier: "x",
        ApplyImmediately: true,
        ...c.expect,
      });
    });
  }

  it("sends the new master password it is given, alone when nothing else changes", () => {
    assert.deepEqual(modifyInput("x", params(), new Set(), "new-pw"), {
      DBInstanceIdentifier: "x",
      ApplyImmediately: true,
      MasterUserPassword: "new-pw",
    });
  });
});

describe("compare", () => {
  it("gives the tag calls straight from the tag diff, beside the drift it reports", () => {
    const observed = instance({
      TagList: [...Object.entries(OWN), ["team", "b"], ['odd "key"]', "x"]].map(([Key, Value]) => ({
        Key,
        Value,
      })),
    });
    const c = compare(params(), observed, { tags: { ...OWN, team: "a" }, authoritative: true });
    assert.deepEqual(c.tags, { set: { team: "a" }, remove: ['odd "key"]'] });
    assert.deepEqual(c.modify, new Set());
    assert.deepEqual(
      c.drift.map((d) => d.path),
      ['forProvider.tags["odd \\"key\\"]"]', 'forProvider.tags["team"]'],
    );
  });
});
