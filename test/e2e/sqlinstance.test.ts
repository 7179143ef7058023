// SqlInstance end to end: the real engine (Manager) with the real RDS
// provider, against a real kube-apiserver and moto. The cloud is changed
// behind the engine's back with the AWS SDK, as a person with console access
// would, and every assertion reads either the API server or the cloud.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  type DBInstance,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { pino } from "pino";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../../apis/aws/v1alpha1/providerconfig.ts";
import { SqlInstanceKind, type SqlInstanceObservation } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { Annotations, FINALIZER, type Managed, registerKind, Tags } from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import { REDACT_PATHS } from "../../controller/ops/logger.ts";
import { deriveIdentifier, sqlInstanceProvider } from "../../providers/aws/rds/index.ts";
import { rejection } from "../support/admission.ts";
import { CREDENTIALS_NAMESPACE, installAwsProviderConfig, startAwsEngine } from "../support/aws.ts";
import { condition, Objects } from "../support/engine.ts";
import { awsClientConfig, testKubeConfig, uniqueName, useNamespace, waitFor } from "../support/env.ts";

const rds = new RDSClient(awsClientConfig());
const core = testKubeConfig().makeApiClient(CoreV1Api);
const custom = testKubeConfig().makeApiClient(CustomObjectsApi);
const atProvider = (mr: Managed | undefined) => (mr?.status?.atProvider ?? {}) as SqlInstanceObservation;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or a failure naming `what` once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms}ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function describeInstance(id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return out.DBInstances?.[0];
  } catch (err) {
    if ((err as { name?: string }).name === "DBInstanceNotFoundFault") return undefined;
    throw err;
  }
}

function tagsOf(inst: DBInstance | undefined): Record<string, string> {
  return Object.fromEntries((inst?.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

async function readSecret(namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const s = await core.readNamespacedSecret({ namespace, name });
    return Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
    );
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function writePasswordSecret(namespace: string, name: string, password: string): Promise<string> {
  const body = { metadata: { name, namespace }, stringData: { password } };
  try {
    const created = await core.createNamespacedSecret({ namespace, body });
    return created.metadata?.resourceVersion ?? "";
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    const replaced = await core.replaceNamespacedSecret({ namespace, name, body });
    return replaced.metadata?.resourceVersion ?? "";
  }
}

/** A pino logger like createLogger()'s (same redaction), whose lines the test can read. */
function capturingLogger() {
  const lines: string[] = [];
  const echo = Boolean(process.env.SETPOINT_TEST_LOG_LEVEL);
  const sink = new Writable({
    write(chunk, _enc, done) {
      const text = String(chunk);
      lines.push(text);
      if (echo) process.stderr.write(text);
      done();
    },
  });
  const log = pino(
    { name: "setpoint", level: "debug", redact: { paths: REDACT_PATHS, censor: "(redacted)" } },
    sink,
  );
  return { log, lines };
}

interface SqlSpec {
  forProvider?: Record<string, unknown>;
  [key: string]: unknown;
}

function sqlSpec(name: string, spec: SqlSpec = {}): Record<string, unknown> {
  const { forProvider, ...rest } = spec;
  return {
    writeConnectionSecretToRef: { name: `${name}-conn` },
    ...rest,
    forProvider: {
      engine: "postgres",
      engineVersion: "16.4",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "setpoint",
      dbName: "app",
      ...forProvider,
    },
  };
}

describe("SqlInstance end to end (kube-apiserver, moto, the real engine)", { timeout: 180_000 }, () => {
  const ns = useNamespace("sql");
  let manager: Manager;
  let sql: Objects;
  let logs: string[];
  /** Every master password the tests set, for the final check that none leaked. */
  const passwords: string[] = [];

  before(async () => {
    await installAwsProviderConfig();
    const captured = capturingLogger();
    logs = captured.lines;
    manager = await startAwsEngine(ns.name, { log: captured.log });
    sql = new Objects(SqlInstanceKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
  });

  const cloudId = (name: string) => deriveIdentifier(ns.name, name);

  async function readySql(name: string, spec: SqlSpec = {}): Promise<Managed> {
    await sql.create(name, sqlSpec(name, spec));
    return sql.waitForCondition(name, "Ready", "True");
  }

  /** Waits until the engine has observed the latest generation and is in sync with it. */
  async function settled(name: string): Promise<Managed> {
    return (await waitFor(() => sql.get(name), {
      what: `SqlInstance ${name} to be Synced at its latest generation`,
      until: (m) =>
        m?.status?.observedGeneration === m?.metadata.generation &&
        condition(m, "Synced")?.status === "True" &&
        condition(m, "Ready")?.status === "True",
    })) as Managed;
  }

  it("a new SqlInstance becomes Ready and Synced, with a connection secret and owner tags in RDS", async () => {
    const mr = await readySql("create");
    assert.equal(condition(mr, "Synced")?.status, "True");
    assert.equal(condition(mr, "Synced")?.reason, "ReconcileSuccess");
    assert.equal(condition(mr, "Ready")?.reason, "Available");
    assert.ok(mr.metadata.finalizers?.includes(FINALIZER));
    assert.equal(mr.metadata.annotations?.[Annotations.externalName], cloudId("create"));

    const inst = await describeInstance(cloudId("create"));
    assert.ok(inst, "the DB instance exists in RDS");
    assert.equal(inst.Engine, "postgres");
    assert.equal(inst.AllocatedStorage, 20);
    assert.equal(inst.DBInstanceClass, "db.t3.micro");
    const tags = tagsOf(inst);
    assert.equal(tags[Tags.owner], `${ns.name}/create`);
    assert.equal(tags[Tags.uid], mr.metadata.uid);

    const generated = await readSecret(ns.name, "create-master-password");
    assert.ok(generated?.password, "the generated password Secret exists");
    assert.ok(generated.password.length >= 20, "the generated password is long");
    const conn = await waitFor(() => readSecret(ns.name, "create-conn"), {
      what: "the connection secret",
      until: (s) => s?.password !== undefined && s.endpoint !== undefined,
    });
    assert.deepEqual(Object.keys(conn ?? {}).sort(), [
      "database",
      "endpoint",
      "host",
      "password",
      "port",
      "username",
    ]);
    assert.equal(conn?.password, generated.password);
    assert.equal(conn?.username, "setpoint");
    assert.equal(conn?.database, "app");
    assert.equal(conn?.host, inst.Endpoint?.Address);
    assert.equal(conn?.port, String(inst.Endpoint?.Port));
    assert.equal(conn?.endpoint, `${inst.Endpoint?.Address}:${inst.Endpoint?.Port}`);
    assert.equal(atProvider(mr).arn, inst.DBInstanceArn);
    const reasons = (await sql.events("create")).map((e) => e.reason);
    assert.ok(reasons.includes("CreatedExternalResource"), `events: ${reasons}`);
  });

  it("a spec change is applied to RDS and not counted as drift", async () => {
    await readySql("spec-change", { forProvider: { backupRetentionPeriod: 1 } });
    await settled("spec-change");
    await sql.patch("spec-change", {
      spec: { forProvider: { allocatedStorage: 30, backupRetentionPeriod: 7 } },
    });
    await waitFor(() => describeInstance(cloudId("spec-change")), {
      what: "the new storage and backup retention in RDS",
      until: (i) => i?.AllocatedStorage === 30 && i.BackupRetentionPeriod === 7,
    });
    const mr = await settled("spec-change");
    assert.equal(mr.status?.drift?.corrections, 0, "a spec change is not drift");
    assert.deepEqual(mr.status?.drift?.fields, []);
    assert.equal(condition(mr, "Drifted")?.status, "False");
    const events = await sql.events("spec-change");
    assert.ok(!events.some((e) => e.reason === "DriftDetected"), JSON.stringify(events));
    const updated = events.find((e) => e.reason === "UpdatedExternalResource");
    assert.match(updated?.message ?? "", /forProvider\.allocatedStorage/);
  });

  it("storage changed outside setpoint is reported as drift with both values, corrected, and counted", async () => {
    await readySql("drift");
    await settled("drift");
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: cloudId("drift"),
        AllocatedStorage: 50,
        ApplyImmediately: true,
      }),
    );
    const mr = await waitFor(() => sql.get("drift"), {
      what: "the drift to be corrected",
      until: (m) => (m?.status?.drift?.corrections ?? 0) >= 1,
    });
    assert.equal((await describeInstance(cloudId("drift")))?.AllocatedStorage, 20, "RDS is back to the spec");
    assert.equal(mr?.status?.drift?.corrections, 1);
    assert.equal(mr?.status?.drift?.history[0]?.action, "Corrected");
    assert.deepEqual(mr?.status?.drift?.history[0]?.fields, ["forProvider.allocatedStorage"]);
    assert.ok(mr?.status?.drift?.lastDetectedTime);
    assert.ok(mr?.status?.drift?.lastCorrectedTime);
    assert.deepEqual(mr?.status?.drift?.fields, []);
    assert.equal(condition(mr, "Drifted")?.status, "False");
    const events = await sql.events("drift");
    const detected = events.find((e) => e.reason === "DriftDetected");
    assert.equal(detected?.type, "Warning");
    assert.match(detected?.message ?? "", /forProvider\.allocatedStorage \(desired 20, observed 50\)/);
    assert.ok(events.some((e) => e.reason === "DriftCorrected"));
    assert.ok((await manager.metrics.total("setpoint_drift_corrected_total", { kind: "SqlInstance" })) >= 1);
  });

  it('a user tag changed outside setpoint is corrected and reported as forProvider.tags["team"], and a tag added outside it is removed', async () => {
    await readySql("tag-drift", { forProvider: { tags: { team: "data", env: "test" } } });
    const mr0 = await settled("tag-drift");
    const arn = atProvider(mr0).arn;
    assert.ok(arn);
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: arn,
        Tags: [
          { Key: "team", Value: "rogue" },
          { Key: "extra", Value: "added-by-hand" },
        ],
      }),
    );
    const mr = await waitFor(() => sql.get("tag-drift"), {
      what: "the tag drift to be corrected",
      until: (m) => (m?.status?.drift?.corrections ?? 0) >= 1,
    });
    assert.deepEqual(mr?.status?.drift?.history[0]?.fields, [
      'forProvider.tags["extra"]',
      'forProvider.tags["team"]',
    ]);
    const tags = tagsOf(await describeInstance(cloudId("tag-drift")));
    assert.equal(tags.team, "data");
    assert.equal(tags.extra, undefined, "the spec's tags are the whole set: an extra tag is removed");
    assert.equal(tags.env, "test");
    assert.equal(tags[Tags.uid], mr?.metadata.uid, "the owner tags are kept");
    const detected = (await sql.events("tag-drift")).find((e) => e.reason === "DriftDetected");
    assert.match(detected?.message ?? "", /forProvider\.tags\["team"\] \(desired data, observed rogue\)/);
  });

  it("a DB instance deleted outside setpoint is recreated and counted as a recreation", async () => {
    await readySql("recreate");
    await settled("recreate");
    await rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: cloudId("recreate"), SkipFinalSnapshot: true }),
    );
    const mr = await waitFor(() => sql.get("recreate"), {
      what: "the DB instance to be recreated",
      until: (m) => m?.status?.drift?.recreations === 1,
    });
    const inst = await describeInstance(cloudId("recreate"));
    assert.ok(inst, "the DB instance exists again");
    assert.equal(tagsOf(inst)[Tags.uid], mr?.metadata.uid);
    assert.equal(mr?.status?.drift?.history[0]?.action, "Recreated");
    const events = await sql.events("recreate");
    assert.ok(
      events.some((e) => e.reason === "ExternalResourceRecreated"),
      JSON.stringify(events),
    );
    await sql.waitForCondition("recreate", "Ready", "True");
  });

  it("in Observe mode drift is reported in status.drift.fields and RDS is left alone", async () => {
    await readySql("observe");
    await settled("observe");
    await sql.patch("observe", { spec: { managementPolicies: ["Observe"] } });
    await settled("observe");
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: cloudId("observe"),
        AllocatedStorage: 40,
        ApplyImmediately: true,
      }),
    );
    const mr = await sql.waitForCondition("observe", "Drifted", "True");
    assert.deepEqual(mr.status?.drift?.fields, [
      { path: "forProvider.allocatedStorage", desired: "20", observed: "40" },
    ]);
    assert.equal(mr.status?.drift?.history[0]?.action, "Reported");
    await sleep(2000);
    assert.equal(
      (await describeInstance(cloudId("observe")))?.AllocatedStorage,
      40,
      "Observe mode must not correct",
    );
    assert.equal((await sql.get("observe"))?.status?.drift?.corrections, 0);
    const detected = (await sql.events("observe")).find((e) => e.reason === "DriftDetected");
    assert.match(detected?.message ?? "", /not corrected/);
  });

  it("deleting a SqlInstance with deletionPolicy Orphan leaves the DB instance in RDS", async () => {
    await readySql("orphan", { deletionPolicy: "Orphan" });
    await sql.delete("orphan");
    await sql.waitUntilGone("orphan");
    const inst = await describeInstance(cloudId("orphan"));
    assert.equal(inst?.DBInstanceStatus, "available", "the orphaned DB instance survives");
    await rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: cloudId("orphan"), SkipFinalSnapshot: true }),
    );
  });

  it("deleting a SqlInstance deletes the DB instance and then releases the finalizer", async () => {
    await readySql("delete");
    assert.ok(await describeInstance(cloudId("delete")));
    await sql.delete("delete");
    await sql.waitUntilGone("delete");
    assert.equal(await describeInstance(cloudId("delete")), undefined, "the DB instance is gone");
  });

  it("a DB instance owned by another resource is refused with a terminal condition and left untouched", async () => {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: cloudId("foreign"),
        Engine: "postgres",
        DBInstanceClass: "db.t3.small",
        AllocatedStorage: 25,
        MasterUsername: "someone",
        MasterUserPassword: "SomeoneElses-Passw0rd",
        Tags: [
          { Key: Tags.owner, Value: "other-team/foreign" },
          { Key: Tags.uid, Value: "00000000-uid-of-someone-else" },
        ],
      }),
    );
    await sql.create("foreign", sqlSpec("foreign"));
    const mr = await sql.waitForCondition("foreign", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(condition(mr, "Synced")?.message ?? "", /owned by other-team\/foreign/);
    await sleep(2000);
    const inst = await describeInstance(cloudId("foreign"));
    assert.equal(inst?.AllocatedStorage, 25);
    assert.equal(inst?.DBInstanceClass, "db.t3.small");
    assert.equal(tagsOf(inst)[Tags.uid], "00000000-uid-of-someone-else");
    const events = await sql.events("foreign");
    // The event names the step that refused: the ownership rule, not a cloud call.
    assert.ok(
      events.some(
        (e) =>
          e.reason === "CannotManageExternalResource" &&
          /^cannot manage external resource: .*other-team\/foreign/.test(e.message),
      ),
      JSON.stringify(events),
    );
    // Deleting the SqlInstance must not delete what is not its own either.
    await sql.delete("foreign");
    await sql.waitUntilGone("foreign");
    assert.ok(await describeInstance(cloudId("foreign")), "the foreign DB instance survives");
  });

  it("invalid specs are rejected at admission with a clear message", async () => {
    await sql.create("immutable", sqlSpec("immutable", { providerConfigRef: { name: "nope" } }));
    assert.match(
      await rejection(sql.patch("immutable", { spec: { forProvider: { engine: "mysql" } } })),
      /spec\.forProvider\.engine: .*engine is immutable/,
    );
    assert.match(
      await rejection(sql.patch("immutable", { spec: { forProvider: { masterUsername: "other" } } })),
      /masterUsername is immutable/,
    );
    assert.match(
      await rejection(sql.create("tiny", sqlSpec("tiny", { forProvider: { allocatedStorage: 1 } }))),
      /spec\.forProvider\.allocatedStorage: .*greater than or equal to 5/,
    );
    assert.match(
      await rejection(
        sql.create("bad-class", sqlSpec("bad-class", { forProvider: { instanceClass: "t3.micro" } })),
      ),
      /spec\.forProvider\.instanceClass: .*should match '\^db/,
    );
    assert.match(
      await rejection(
        sql.create("bad-engine", sqlSpec("bad-engine", { forProvider: { engine: "aurora-postgresql" } })),
      ),
      /spec\.forProvider\.engine: Unsupported value: "aurora-postgresql"/,
    );
    assert.equal((await sql.get("immutable"))?.metadata.generation, 1, "the refused updates changed nothing");
  });

  it("a spec only RDS can reject (a missing DB subnet group) gives Synced=False ReconcileTerminal with the AWS message and an event naming the create", async () => {
    await sql.create(
      "bad-subnet",
      sqlSpec("bad-subnet", { forProvider: { dbSubnetGroupName: "no-such-subnet-group" } }),
    );
    const mr = await sql.waitForCondition("bad-subnet", "Synced", "False", { reason: "ReconcileTerminal" });
    const message = condition(mr, "Synced")?.message ?? "";
    assert.match(message, /^cannot create external resource: /);
    assert.match(message, /DBSubnetGroupNotFound/);
    assert.match(message, /no-such-subnet-group/);
    assert.equal(await describeInstance(cloudId("bad-subnet")), undefined);
    const events = await sql.events("bad-subnet");
    const terminal = events.find((e) => e.reason === "CannotCreateExternalResource");
    assert.equal(terminal?.type, "Warning");
    assert.match(terminal?.message ?? "", /no-such-subnet-group/);
  });

  it("a missing ProviderConfig gives Synced=False naming it and the connect step, and the engine carries on", async () => {
    await sql.create("no-config", sqlSpec("no-config", { providerConfigRef: { name: "nope" } }));
    const mr = await sql.waitForCondition("no-config", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(
      condition(mr, "Synced")?.message ?? "",
      /^cannot connect to provider: .*ProviderConfig "nope" not found/,
    );
    assert.equal(await describeInstance(cloudId("no-config")), undefined);
    const events = await sql.events("no-config");
    assert.ok(events.some((e) => e.reason === "CannotConnectToProvider" && /"nope"/.test(e.message)));
    await readySql("after-no-config");
  });

  it("changing the password Secret rotates the master password and updates the connection secret", async () => {
    const first = "First-Passw0rd-for-rotation";
    const second = "Second-Passw0rd-for-rotation";
    const v1 = await writePasswordSecret(ns.name, "rotate-pw", first);
    await readySql("rotate", { forProvider: { masterPasswordSecretRef: { name: "rotate-pw" } } });
    let mr = await settled("rotate");
    assert.equal(atProvider(mr).masterPasswordSecretVersion, v1);
    const conn1 = await waitFor(() => readSecret(ns.name, "rotate-conn"), {
      what: "the connection secret with the first password",
      until: (s) => s?.password === first,
    });
    assert.equal(conn1?.password, first);
    assert.equal(await readSecret(ns.name, "rotate-master-password"), undefined, "no password is generated");

    const modifies = await manager.metrics.total("setpoint_cloud_api_calls_total", {
      operation: "ModifyDBInstance",
    });
    const v2 = await writePasswordSecret(ns.name, "rotate-pw", second);
    assert.notEqual(v2, v1);
    mr = (await waitFor(() => sql.get("rotate"), {
      what: "the new password Secret version to be applied",
      timeoutMs: 20_000,
      until: (m) => atProvider(m).masterPasswordSecretVersion === v2,
    })) as Managed;
    const conn2 = await readSecret(ns.name, "rotate-conn");
    assert.equal(conn2?.password, second);
    assert.ok(
      (await manager.metrics.total("setpoint_cloud_api_calls_total", { operation: "ModifyDBInstance" })) >
        modifies,
      "a ModifyDBInstance applied the new password",
    );
    assert.equal(mr.status?.drift?.corrections, 0, "a rotation is not drift");
    const events = await sql.events("rotate");
    assert.ok(!events.some((e) => e.reason === "DriftDetected"), JSON.stringify(events));

    passwords.push(first, second);
  });

  it("in Observe mode a changed password Secret is reported, not applied, and the connection secret keeps the working password", async () => {
    const third = "Third-Passw0rd-never-applied";
    await sql.patch("rotate", { spec: { managementPolicies: ["Observe"] } });
    await settled("rotate");
    const modifies = await manager.metrics.total("setpoint_cloud_api_calls_total", {
      operation: "ModifyDBInstance",
    });
    const v3 = await writePasswordSecret(ns.name, "rotate-pw", third);
    passwords.push(third);
    const mr = await sql.waitForCondition("rotate", "Drifted", "True", { timeoutMs: 20_000 });
    assert.deepEqual(mr.status?.drift?.fields, [
      { path: "forProvider.masterPasswordSecretRef", desired: "(redacted)", observed: "(redacted)" },
    ]);
    assert.notEqual(atProvider(mr).masterPasswordSecretVersion, v3, "the new Secret version is not applied");
    await sleep(1500);
    assert.equal(
      (await readSecret(ns.name, "rotate-conn"))?.password,
      "Second-Passw0rd-for-rotation",
      "the connection secret keeps the password the database has",
    );
    assert.equal(
      await manager.metrics.total("setpoint_cloud_api_calls_total", { operation: "ModifyDBInstance" }),
      modifies,
    );
  });

  it("passwords never appear in status, events or logs", async () => {
    const secrets = await core.listNamespacedSecret({ namespace: ns.name });
    const generated = secrets.items
      .filter((x) => x.metadata?.name?.endsWith("-master-password"))
      .map((x) => Buffer.from(x.data?.password ?? "", "base64").toString("utf8"));
    const all = [...generated, ...passwords].filter((p) => p.length > 0);
    assert.ok(all.length > 0, "some master passwords are known to check");
    const allEvents = JSON.stringify(
      (await core.listNamespacedEvent({ namespace: ns.name })).items.map((e) => e.message),
    );
    const statuses = JSON.stringify(
      (await sql.api.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns.name,
        plural: SqlInstanceKind.plural,
      })) as unknown,
    );
    assert.ok(statuses.includes('"rotate"'), "the listing holds the SqlInstances");
    assert.ok(logs.length > 0, "the engine logged something");
    const allLogs = logs.join("");
    for (const secret of all) {
      assert.ok(!statuses.includes(secret), "a password is in a SqlInstance");
      assert.ok(!allEvents.includes(secret), "a password is in an event");
      assert.ok(!allLogs.includes(secret), "a password is in the logs");
    }
  });
});

/**
 * The real RDS provider, with a gate in front of observeMany: a test can hold
 * one batched poll after the sweeper took its snapshot of the resources, to
 * make a race with a spec change happen every time instead of now and then.
 */
function gatedSqlProvider() {
  let armed:
    | { name: string; entered: PromiseWithResolvers<void>; release: PromiseWithResolvers<void> }
    | undefined;
  const provider: typeof sqlInstanceProvider = {
    ...sqlInstanceProvider,
    async connect(mr, ctx) {
      const client = await sqlInstanceProvider.connect(mr, ctx);
      return {
        observe: (m) => client.observe(m),
        create: (m) => client.create(m),
        update: (m, o) => client.update(m, o),
        delete: (m, o, options) => client.delete(m, o, options),
        async observeMany(mrs) {
          const gate = armed;
          if (gate && mrs.some((m) => m.metadata.name === gate.name)) {
            armed = undefined;
            gate.entered.resolve();
            await gate.release.promise;
          }
          return client.observeMany!(mrs);
        },
      };
    },
  };
  return {
    provider,
    /** Holds the next batched poll of `name`: `entered` resolves once it has its snapshot; it goes on at release(). */
    hold(name: string) {
      const gate = { name, entered: Promise.withResolvers<void>(), release: Promise.withResolvers<void>() };
      armed = gate;
      return { entered: gate.entered.promise, release: () => gate.release.resolve() };
    },
  };
}

describe("SqlInstance polls through the batched sweeper", { timeout: 120_000 }, () => {
  const ns = useNamespace("sql-poll");
  const gated = gatedSqlProvider();
  let manager: Manager;
  let sql: Objects;

  before(async () => {
    await installAwsProviderConfig();
    // A slower sweep tick than the default, so resources due within the same second share a batch.
    manager = await startAwsEngine(ns.name, {
      kinds: [registerKind(SqlInstanceKind, gated.provider)],
      sweep: { intervalMs: 1000 },
    });
    sql = new Objects(SqlInstanceKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
  });

  const cloudId = (name: string) => deriveIdentifier(ns.name, name);

  async function readyAtLatest(name: string): Promise<Managed> {
    return (await waitFor(() => sql.get(name), {
      what: `${name} to be Ready and Synced at its latest generation`,
      until: (m) =>
        condition(m, "Ready")?.status === "True" &&
        condition(m, "Synced")?.status === "True" &&
        m?.status?.observedGeneration === m?.metadata.generation,
    })) as Managed;
  }

  it("several steady SqlInstances are observed with batched DescribeDBInstances calls, not one per resource", async () => {
    const names = ["p1", "p2", "p3", "p4", "p5"];
    for (const name of names) await sql.create(name, sqlSpec(name));
    for (const name of names) await readyAtLatest(name);
    await sleep(1000);
    const count = (operation: string) =>
      manager.metrics.total("setpoint_cloud_api_calls_total", { operation });
    const batchCount = () =>
      manager.metrics.total("setpoint_poll_sweep_batches_total", { kind: "SqlInstance", result: "success" });
    const reconcileCount = () => manager.metrics.total("setpoint_reconcile_total", { kind: "SqlInstance" });
    const mutating = ["CreateDBInstance", "ModifyDBInstance", "AddTagsToResource", "DeleteDBInstance"];
    const [describes0, batches0, reconciles0] = [
      await count("DescribeDBInstances"),
      await batchCount(),
      await reconcileCount(),
    ];
    const mutations0 = await Promise.all(mutating.map(count));
    await sleep(6000);
    const describes = (await count("DescribeDBInstances")) - describes0;
    const batches = (await batchCount()) - batches0;
    const polls = (await reconcileCount()) - reconciles0;
    const detail = `describes ${describes}, batches ${batches}, polls ${polls}`;
    assert.ok(polls >= names.length * 2, `every resource was polled at least twice: ${detail}`);
    assert.equal(describes, batches, `every describe came from a batch: ${detail}`);
    assert.ok(describes * 2 <= polls, `at most one describe per two resource polls: ${detail}`);
    assert.deepEqual(await Promise.all(mutating.map(count)), mutations0, "no mutating calls while in sync");
  });

  it("a spec change made while a batched poll is in flight is applied as a change, not reported as drift", async () => {
    await sql.create("race", sqlSpec("race"));
    await readyAtLatest("race");
    const held = gated.hold("race");
    try {
      await within(held.entered, 10_000, "a batched poll of race");
      // The sweeper holds a snapshot of the old spec; the user changes it now.
      await sql.patch("race", { spec: { forProvider: { allocatedStorage: 35 } } });
      await waitFor(() => describeInstance(cloudId("race")), {
        what: "the spec change to reach RDS",
        until: (i) => i?.AllocatedStorage === 35,
      });
      await readyAtLatest("race");
    } finally {
      // The held poll now describes the changed instance, against the snapshot's old spec.
      held.release();
    }
    await sleep(1000);
    const mr = await readyAtLatest("race");
    const events = await sql.events("race");
    assert.ok(!events.some((e) => e.reason === "DriftDetected"), JSON.stringify(events));
    assert.equal(mr.status?.drift?.corrections, 0, "the user's own change is not drift");
    assert.equal((await describeInstance(cloudId("race")))?.AllocatedStorage, 35);
  });

  it("a steady SqlInstance whose credentials Secret disappears reports it instead of silently stopping its polls", async () => {
    const configName = uniqueName("pc");
    const secretName = `${configName}-aws-credentials`;
    await installAwsProviderConfig(configName);
    try {
      await sql.create("creds", sqlSpec("creds", { providerConfigRef: { name: configName } }));
      await readyAtLatest("creds");
      await sleep(1000);
      await core.deleteNamespacedSecret({ namespace: CREDENTIALS_NAMESPACE, name: secretName });
      const mr = await sql.waitForCondition("creds", "Synced", "False", { timeoutMs: 20_000 });
      assert.match(condition(mr, "Synced")?.message ?? "", new RegExp(`${secretName}.*not found`));
    } finally {
      // The SqlInstance stays behind (its namespace goes with the run); the cluster-scoped config does not.
      await custom.deleteClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: PROVIDER_CONFIG_PLURAL,
        name: configName,
      });
      await core
        .deleteNamespacedSecret({ namespace: CREDENTIALS_NAMESPACE, name: secretName })
        .catch(() => {});
    }
  });
});
