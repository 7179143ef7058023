import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type {
  CreateDBInstanceCommandInput,
  DBInstance,
  ModifyDBInstanceCommandInput,
} from "@aws-sdk/client-rds";
import type { SqlInstanceParameters } from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import type { SecretData } from "../../../controller/provider.ts";
import type { RdsApi } from "./client.ts";
import { fakeKube, instance, sqlInstance, UID } from "./fixtures.test-util.ts";
import { SqlInstanceClient, sqlInstanceProvider } from "./index.ts";

/** An in-memory RDS that records every call. */
function fakeRds(initial: DBInstance[] = []) {
  const db = new Map(initial.map((i) => [i.DBInstanceIdentifier!, i]));
  const calls: { op: string; input?: unknown }[] = [];
  let nextError: Error | undefined;
  const fail = () => {
    if (nextError) {
      const e = nextError;
      nextError = undefined;
      throw e;
    }
  };
  const api: RdsApi = {
    async describe(id) {
      calls.push({ op: "describe", input: id });
      return db.get(id);
    },
    async describeMany(ids) {
      calls.push({ op: "describeMany", input: ids });
      const out = new Map<string, DBInstance>();
      for (const id of ids) {
        const i = db.get(id.toLowerCase());
        if (i) out.set(id.toLowerCase(), i);
      }
      return out;
    },
    async create(input: CreateDBInstanceCommandInput) {
      calls.push({ op: "create", input });
      fail();
      const i = instance({
        DBInstanceIdentifier: input.DBInstanceIdentifier,
        DBInstanceStatus: "creating",
        TagList: input.Tags,
      });
      db.set(input.DBInstanceIdentifier!, i);
      return i;
    },
    async modify(input: ModifyDBInstanceCommandInput) {
      calls.push({ op: "modify", input });
      fail();
      return db.get(input.DBInstanceIdentifier!);
    },
    async addTags(arn, tags) {
      calls.push({ op: "addTags", input: { arn, tags } });
    },
    async removeTags(arn, keys) {
      calls.push({ op: "removeTags", input: { arn, keys } });
    },
    async delete(id, snapshot) {
      calls.push({ op: "delete", input: { id, snapshot } });
      fail();
      const i = db.get(id);
      if (!i) return undefined;
      return { ...i, DBInstanceStatus: "deleting" };
    },
  };
  return {
    api,
    db,
    calls,
    failNext: (e: Error) => {
      nextError = e;
    },
  };
}

function awsError(name: string): Error {
  return Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: 400 } });
}

const GEN_SECRET = (pw = "generated-pw", rv = "1"): Record<string, SecretData> => ({
  "team-a/orders-master-password": { resourceVersion: rv, data: { password: pw } },
});

function setup(opts: { instances?: DBInstance[]; secrets?: Record<string, SecretData> } = {}) {
  const rds = fakeRds(opts.instances);
  const k = fakeKube(opts.secrets ?? GEN_SECRET());
  return { ...rds, ...k, client: new SqlInstanceClient(rds.api, k.kube) };
}

describe("SqlInstance observe", () => {
  it("reports a missing instance as not existing", async () => {
    const { client } = setup();
    const o = await client.observe(sqlInstance());
    assert.equal(o.exists, false);
    assert.equal(o.ready.status, false);
  });

  it("maps an in-sync instance: no drift, ready, owned, with connection details", async () => {
    const { client } = setup({ instances: [instance()] });
    const o = await client.observe(sqlInstance({}, { masterPasswordSecretVersion: "1" }));
    assert.equal(o.exists, true);
    assert.equal(o.deleting, false);
    assert.deepEqual(o.drift, []);
    assert.deepEqual(o.ready, { status: true, reason: "Available" });
    assert.deepEqual(o.ownership, { owner: "team-a/orders", uid: UID });
    assert.equal(o.connectionDetails?.password, "generated-pw");
    assert.equal(o.atProvider?.masterPasswordSecretVersion, "1");
    assert.equal(o.lateInit?.engineVersion, "16.4");
  });

  describe("of an instance setpoint did not create (adopted)", () => {
    const untagged = () => instance({ TagList: [{ Key: "team", Value: "billing" }] });
    const TENANT_SECRET = (rv: string) => ({
      "team-a/tenant-pw": { resourceVersion: rv, data: { password: "the-tenant-chose-this" } },
    });
    const adopter = (status?: object) =>
      sqlInstance({ masterPasswordSecretRef: { name: "tenant-pw", key: "password" } }, status);

    it("publishes the connection details without the tenant's password, which is not the instance's", async () => {
      const { client } = setup({ instances: [untagged()], secrets: TENANT_SECRET("7") });
      const o = await client.observe(adopter());
      assert.equal(o.connectionDetails?.host, "team-a-orders.abc.us-east-1.rds.amazonaws.com");
      assert.equal(o.connectionDetails?.password, undefined);
      assert.equal(o.atProvider?.masterPasswordSecretVersionAtAdoption, "7");
      assert.equal(o.atProvider?.masterPasswordSecretVersion, undefined);
      assert.equal(o.private?.rotatePassword, false, "adopting sets no password");
    });

    it("never generates a password for it when there is no Secret", async () => {
      const { client, calls } = setup({ instances: [untagged()], secrets: {} });
      const mr = sqlInstance();
      const o = await client.observe(mr);
      assert.equal(o.private?.rotatePassword, false);
      calls.length = 0;
      await client.update(mr, o);
      assert.ok(!calls.some((c) => c.op === "modify"), JSON.stringify(calls));
    });

    it("sets the password once the tenant changes the Secret, and from then on publishes it", async () => {
      const { client, calls } = setup({ instances: [untagged()], secrets: TENANT_SECRET("8") });
      const mr = adopter({ masterPasswordSecretVersionAtAdoption: "7" });
      const o = await client.observe(mr);
      assert.equal(o.private?.rotatePassword, true);
      calls.length = 0;
      const res = await client.update(mr, o);
      const modify = calls.find((c) => c.op === "modify")?.input as ModifyDBInstanceCommandInput;
      assert.equal(modify.MasterUserPassword, "the-tenant-chose-this");
      assert.deepEqual(res.atProvider, {
        masterPasswordSecretVersion: "8",
        masterPasswordSecretVersionAtAdoption: undefined,
      });
      assert.equal(res.connectionDetails?.password, "the-tenant-chose-this");
    });
  });

  it("reports a rotated password Secret as a sensitive reference diff, without its value", async () => {
    const { client } = setup({ instances: [instance()], secrets: GEN_SECRET("new-pw", "2") });
    const o = await client.observe(sqlInstance({}, { masterPasswordSecretVersion: "1" }));
    assert.deepEqual(o.drift, [
      {
        path: "forProvider.masterPasswordSecretRef",
        desired: undefined,
        observed: undefined,
        sensitive: true,
        cause: "reference",
      },
    ]);
    assert.equal(o.private?.rotatePassword, true);
    assert.equal(
      o.atProvider?.masterPasswordSecretVersion,
      "1",
      "version advanced before the update applied it",
    );
    assert.ok(!JSON.stringify(o.drift).includes("new-pw"));
    assert.equal(o.connectionDetails, undefined, "the unapplied password is not published");
  });

  it("marks a modifying instance as in progress", async () => {
    const { client } = setup({ instances: [instance({ DBInstanceStatus: "modifying" })] });
    const o = await client.observe(sqlInstance());
    assert.equal(o.inProgress, true);
    assert.equal(o.deleting, false);
  });

  it("reports an instance RDS is deleting as deleting", async () => {
    const { client } = setup({ instances: [instance({ DBInstanceStatus: "deleting" })] });
    const o = await client.observe(sqlInstance());
    assert.equal(o.deleting, true);
  });

  const protection: {
    name: string;
    cloud: boolean | undefined;
    spec: boolean | undefined;
    expect: { enabled: boolean; requested: boolean | undefined };
  }[] = [
    {
      name: "on in the cloud and asked for",
      cloud: true,
      spec: true,
      expect: { enabled: true, requested: true },
    },
    {
      name: "on in the cloud, spec silent",
      cloud: true,
      spec: undefined,
      expect: { enabled: true, requested: undefined },
    },
    {
      name: "off in the cloud, spec says false",
      cloud: false,
      spec: false,
      expect: { enabled: false, requested: false },
    },
    {
      name: "not reported by the cloud",
      cloud: undefined,
      spec: undefined,
      expect: { enabled: false, requested: undefined },
    },
  ];
  for (const c of protection) {
    it(`reports deletion protection ${c.name}, and the field that asks for it`, async () => {
      const { client } = setup({ instances: [instance({ DeletionProtection: c.cloud })] });
      const o = await client.observe(sqlInstance(c.spec === undefined ? {} : { deletionProtection: c.spec }));
      assert.deepEqual(o.deletionProtection, { ...c.expect, field: "forProvider.deletionProtection" });
    });
  }
});

describe("SqlInstance observeMany", () => {
  it("answers for every requested resource with one batched describe", async () => {
    const { client, calls } = setup({
      instances: [instance(), instance({ DBInstanceIdentifier: "team-a-billing" })],
    });
    const a = sqlInstance();
    const b = sqlInstance();
    b.metadata.annotations = { "setpoint.dev/external-name": "team-a-billing" };
    const c = sqlInstance();
    c.metadata.annotations = { "setpoint.dev/external-name": "team-a-ghost" };
    const got = await client.observeMany([a, b, c]);
    assert.deepEqual([...got.keys()].sort(), ["team-a-billing", "team-a-ghost", "team-a-orders"]);
    assert.equal(got.get("team-a-orders")?.exists, true);
    assert.equal(got.get("team-a-billing")?.exists, true);
    assert.equal(got.get("team-a-ghost")?.exists, false);
    assert.deepEqual(
      calls.map((c) => c.op),
      ["describeMany"],
    );
  });

  it("matches a mixed-case external name to the lower-case identifier RDS keeps", async () => {
    const { client } = setup({ instances: [instance()] });
    const mr = sqlInstance();
    mr.metadata.annotations = { "setpoint.dev/external-name": "Team-A-Orders" };
    const got = await client.observeMany([mr]);
    assert.equal(got.get("Team-A-Orders")?.exists, true);
  });
});

describe("SqlInstance create", () => {
  it("creates with the external name, the stored password and owner tags", async () => {
    const { client, calls } = setup();
    await client.create(sqlInstance({ tags: { team: "a" } }));
    const input = calls.find((c) => c.op === "create")?.input as CreateDBInstanceCommandInput;
    assert.equal(input.DBInstanceIdentifier, "team-a-orders");
    assert.equal(input.MasterUserPassword, "generated-pw");
    assert.deepEqual(
      input.Tags?.map((t) => t.Key),
      ["setpoint.dev/owner", "setpoint.dev/uid", "team"],
    );
  });

  it("generates and stores a password when none exists yet", async () => {
    const { client, calls, secrets, applied } = setup({ secrets: {} });
    await client.create(sqlInstance());
    assert.deepEqual(applied, ["orders-master-password"]);
    const input = calls.find((c) => c.op === "create")?.input as CreateDBInstanceCommandInput;
    assert.equal(input.MasterUserPassword, secrets.get("team-a/orders-master-password")?.data.password);
  });

  const taken: { name: string; tags: DBInstance["TagList"] }[] = [
    { name: "our own uid (a lost create)", tags: instance().TagList },
    {
      name: "another resource's uid",
      tags: [
        { Key: "setpoint.dev/uid", Value: "someone-else" },
        { Key: "setpoint.dev/owner", Value: "team-b/orders" },
      ],
    },
    { name: "no owner tags at all", tags: [] },
  ];
  for (const f of taken) {
    it(`reports a name taken by an instance with ${f.name} as alreadyExists, and decides nothing`, async () => {
      const { client, failNext, calls } = setup({ instances: [instance({ TagList: f.tags })] });
      failNext(awsError("DBInstanceAlreadyExistsFault"));
      assert.deepEqual(await client.create(sqlInstance()), { alreadyExists: true });
      assert.deepEqual(
        calls.map((c) => c.op),
        ["create"],
      );
    });
  }
});

describe("SqlInstance update", () => {
  it("sends one modify with only the changed fields, then the tag calls", async () => {
    const { client, calls } = setup({
      instances: [
        instance({
          AllocatedStorage: 50,
          TagList: [
            { Key: "setpoint.dev/owner", Value: "team-a/orders" },
            { Key: "setpoint.dev/uid", Value: UID },
            { Key: "rogue", Value: "x" },
            { Key: "aws:cloudformation:stack-id", Value: "s" },
          ],
        }),
      ],
    });
    const mr = sqlInstance({ tags: { team: "a" } }, { masterPasswordSecretVersion: "1" });
    const o = await client.observe(mr);
    calls.length = 0;
    await client.update(mr, o);
    assert.deepEqual(calls, [
      {
        op: "modify",
        input: { DBInstanceIdentifier: "team-a-orders", ApplyImmediately: true, AllocatedStorage: 20 },
      },
      { op: "addTags", input: { arn: instance().DBInstanceArn, tags: { team: "a" } } },
      { op: "removeTags", input: { arn: instance().DBInstanceArn, keys: ["rogue"] } },
    ]);
  });

  it("makes no call when only tags drifted", async () => {
    const { client, calls } = setup({ instances: [instance()] });
    const mr = sqlInstance({ tags: { team: "a" } }, { masterPasswordSecretVersion: "1" });
    const o = await client.observe(mr);
    calls.length = 0;
    await client.update(mr, o);
    assert.deepEqual(
      calls.map((c) => c.op),
      ["addTags"],
    );
  });

  it("does nothing while the cloud is busy with the instance", async () => {
    const { client, calls } = setup({
      instances: [instance({ DBInstanceStatus: "modifying", AllocatedStorage: 50 })],
    });
    const mr = sqlInstance();
    const o = await client.observe(mr);
    calls.length = 0;
    assert.deepEqual(await client.update(mr, o), {});
    assert.deepEqual(calls, []);
  });

  it("rotates the password and reports the new Secret version", async () => {
    const { client, calls } = setup({ instances: [instance()], secrets: GEN_SECRET("new-pw", "2") });
    const mr = sqlInstance({}, { masterPasswordSecretVersion: "1" });
    const o = await client.observe(mr);
    calls.length = 0;
    const res = await client.update(mr, o);
    assert.deepEqual(calls, [
      {
        op: "modify",
        input: {
          DBInstanceIdentifier: "team-a-orders",
          ApplyImmediately: true,
          MasterUserPassword: "new-pw",
        },
      },
    ]);
    assert.deepEqual(res.atProvider, { masterPasswordSecretVersion: "2" });
    assert.deepEqual(res.connectionDetails, {
      host: "team-a-orders.abc.us-east-1.rds.amazonaws.com",
      port: "5432",
      endpoint: "team-a-orders.abc.us-east-1.rds.amazonaws.com:5432",
      username: "app",
      password: "new-pw",
    });
  });

  it("publishes no new password when RDS refuses the rotation", async () => {
    const { client, failNext } = setup({ instances: [instance()], secrets: GEN_SECRET("short", "2") });
    const mr = sqlInstance({}, { masterPasswordSecretVersion: "1" });
    const o = await client.observe(mr);
    failNext(awsError("InvalidParameterValue"));
    await assert.rejects(client.update(mr, o), /InvalidParameterValue/);
    assert.equal(o.connectionDetails, undefined);
  });
});

describe("SqlInstance delete", () => {
  const spec = (over: Partial<SqlInstanceParameters>) => sqlInstance(over);
  it("deletes without a final snapshot by default", async () => {
    const { client, calls } = setup({ instances: [instance()] });
    const mr = spec({});
    const res = await client.delete(mr, await client.observe(mr), {});
    assert.deepEqual(res, { gone: false });
    assert.deepEqual(calls.at(-1), { op: "delete", input: { id: "team-a-orders", snapshot: undefined } });
  });

  it("takes the final snapshot the spec asks for", async () => {
    const { client, calls } = setup({ instances: [instance()] });
    const mr = spec({ skipFinalSnapshot: false, finalSnapshotIdentifier: "orders-final" });
    await client.delete(mr, await client.observe(mr), {});
    assert.deepEqual(calls.at(-1), {
      op: "delete",
      input: { id: "team-a-orders", snapshot: "orders-final" },
    });
  });

  it("leaves deletion protection alone unless the engine says to turn it off", async () => {
    const { client, calls } = setup({ instances: [instance({ DeletionProtection: true })] });
    const mr = spec({});
    const o = await client.observe(mr);
    calls.length = 0;
    await client.delete(mr, o, {});
    assert.deepEqual(
      calls.map((c) => c.op),
      ["delete"],
    );
  });

  it("turns protection off first when the engine says so", async () => {
    const { client, calls } = setup({ instances: [instance({ DeletionProtection: true })] });
    const mr = spec({ deletionProtection: false });
    const o = await client.observe(mr);
    calls.length = 0;
    await client.delete(mr, o, { disableDeletionProtection: true });
    assert.deepEqual(
      calls.map((c) => c.op),
      ["modify", "delete"],
    );
    assert.deepEqual(calls[0]?.input, {
      DBInstanceIdentifier: "team-a-orders",
      DeletionProtection: false,
      ApplyImmediately: true,
    });
  });

  it("reports gone when the instance no longer exists", async () => {
    const { client } = setup({ instances: [instance()] });
    const mr = spec({});
    const o = await client.observe(mr);
    const rds = fakeRds();
    const empty = new SqlInstanceClient(rds.api, fakeKube().kube);
    assert.deepEqual(await empty.delete(mr, o, {}), { gone: true });
    assert.deepEqual(await client.delete(mr, { ...o, exists: false }, {}), { gone: true });
  });
});

describe("sqlInstanceProvider", () => {
  it("derives valid external names", () => {
    assert.equal(sqlInstanceProvider.deriveExternalName("team-a", "orders"), "team-a-orders");
  });

  it("declares an rds budget below AWS's own (a burst of 300 at 12/s per account and region)", () => {
    const rds = sqlInstanceProvider.services?.rds;
    assert.ok(rds && rds.burst < 300 && rds.ratePerSecond < 12, JSON.stringify(rds));
  });
});
