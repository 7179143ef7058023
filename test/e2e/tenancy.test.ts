// The tenancy boundary end to end: the real engine with the real providers, a real kube-apiserver and
// moto, with an AWS fault proxy in front of moto that counts every call the controller makes. The
// cloud is prepared and read with the AWS SDK directly against moto (not through the proxy), so the
// proxy's counts are the controller's calls alone.
//
// - A tenant names an existing, untagged RDS instance (the takeover of issue 9): refused, and the
//   instance keeps its class, storage, tags and password (no ModifyDBInstance at all: moto does not
//   return passwords, so the proxy's count is the proof).
// - The ProviderConfig allows adoption for a namespace: the adoption works, and the tenant's password
//   Secret is not published as the instance's until setpoint has set it.
// - A namespace outside the ProviderConfig's namespaceSelector: refused with no cloud call at all,
//   and admitted again once its labels change.
// - Observe-only adoption: reported, nothing written to the cloud.
// - A tenant names an existing, untagged security group: refused, its rules and tags untouched; with
//   adoption allowed, taken over; Observe-only, reported without a write.
// - A reference naming another namespace (a Secret, a DBSubnetGroup, a SecurityGroup): rejected at
//   admission. (That a selector chooses only in its own namespace is a unit test of the resolver:
//   these engines each watch one namespace, so another's objects are never in their caches anyway.)
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import {
  CreateDBInstanceCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { CoreV1Api } from "@kubernetes/client-node";
import { LoadBalancerKind } from "../../apis/aws/v1alpha1/loadbalancer.ts";
import { SecurityGroupKind } from "../../apis/aws/v1alpha1/securitygroup.ts";
import { SqlInstanceKind, type SqlInstanceObservation } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { Annotations, FINALIZER, type Managed, Tags } from "../../controller/api/index.ts";
import type { Manager, ManagerOptions } from "../../controller/manager/index.ts";
import { installAwsProviderConfig, startAwsEngine } from "../support/aws.ts";
import { AwsFaultProxy } from "../support/aws-fault-proxy.ts";
import { condition, Objects } from "../support/engine.ts";
import {
  awsClientConfig,
  awsEndpoint,
  SEED_DB_SUBNET_GROUP,
  SEED_VPC_ID,
  testKubeConfig,
  uniqueName,
  useNamespace,
  waitFor,
} from "../support/env.ts";
import { kubeRequest } from "../support/kube-http.ts";
import { ec2, ruleLines, securityGroupNamed } from "../support/stack.ts";

const rds = new RDSClient(awsClientConfig());
const core = testKubeConfig().makeApiClient(CoreV1Api);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const atProvider = (mr: Managed | undefined) => (mr?.status?.atProvider ?? {}) as SqlInstanceObservation;
/** Long enough for several polls and terminal retries of the test engine (FAST_POLL, terminalRetryMs 2s). */
const SEVERAL_POLLS_MS = 5000;

async function describeInstance(id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if ((err as { name?: string }).name === "DBInstanceNotFoundFault") return undefined;
    throw err;
  }
}

function tagsOf(inst: DBInstance | undefined): Record<string, string> {
  return Object.fromEntries((inst?.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** An RDS instance made outside setpoint (by Terraform, the console...), without setpoint's tags. */
async function existingInstance(
  id: string,
  opts: { class: string; storage: number; tags: Record<string, string> },
) {
  await rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: "postgres",
      EngineVersion: "16.4",
      DBInstanceClass: opts.class,
      AllocatedStorage: opts.storage,
      MasterUsername: "billing",
      MasterUserPassword: "the-real-password-1",
      DBSubnetGroupName: SEED_DB_SUBNET_GROUP,
      Tags: Object.entries(opts.tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
}

async function putSecret(namespace: string, name: string, password: string): Promise<void> {
  const body = { metadata: { name, namespace }, stringData: { password } };
  await core.createNamespacedSecret({ namespace, body }).catch(async (err: { code?: number }) => {
    if (err.code !== 409) throw err;
    await core.replaceNamespacedSecret({ name, namespace, body });
  });
}

async function secretData(namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const r = await kubeRequest<{ data?: Record<string, string> }>(
    "GET",
    `/api/v1/namespaces/${namespace}/secrets/${name}`,
  );
  if (r.status === 404) return undefined;
  return Object.fromEntries(
    Object.entries(r.body.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

async function labelNamespace(name: string, labels: Record<string, string | null>): Promise<void> {
  const r = await kubeRequest(
    "PATCH",
    `/api/v1/namespaces/${name}`,
    { metadata: { labels } },
    "application/merge-patch+json",
  );
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

/** The SqlInstance spec a tenant would write to take over `prod-billing`. */
function takeoverSpec(config: string, policies?: string[]): Record<string, unknown> {
  return {
    providerConfigRef: { name: config },
    ...(policies ? { managementPolicies: policies } : {}),
    writeConnectionSecretToRef: { name: "billing-conn" },
    forProvider: {
      engine: "postgres",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "billing",
      masterPasswordSecretRef: { name: "my-password", key: "password" },
    },
  };
}

/**
 * A tenant's namespace with the real engine running for it, a ProviderConfig `config` (with `spec`'s
 * tenancy fields) whose endpoint is a fault proxy in front of moto, and an untagged instance `instance`
 * made outside setpoint. Registers its own before and after hooks.
 */
function useTenant(
  prefix: string,
  opts: {
    spec?: Record<string, unknown>;
    instance?: { class: string; storage: number; tags: Record<string, string> };
    /** Before the engine starts, e.g. to label the namespace. */
    prepare?: (namespace: string) => Promise<void>;
    engine?: Partial<ManagerOptions>;
  },
) {
  const ns = useNamespace(prefix);
  const config = uniqueName(`${prefix}-config`);
  const instance = uniqueName(`${prefix}-db`);
  let proxy: AwsFaultProxy | undefined;
  let manager: Manager | undefined;
  let objects: Objects | undefined;
  before(async () => {
    proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
    await installAwsProviderConfig(config, {
      endpoint: proxy.url,
      ...(opts.spec ? { spec: opts.spec } : {}),
    });
    if (opts.instance) await existingInstance(instance, opts.instance);
    await putSecret(ns.name, "my-password", "the-tenant-chose-this");
    await opts.prepare?.(ns.name);
    manager = await startAwsEngine(ns.name, opts.engine);
  });
  after(async () => {
    await manager?.stop();
    await proxy?.close();
  });
  return {
    ns,
    config,
    /** The untagged instance's identifier. */
    instance,
    get proxy(): AwsFaultProxy {
      assert.ok(proxy, "the proxy exists only inside tests");
      return proxy;
    },
    get sql(): Objects {
      objects ??= new Objects(SqlInstanceKind, ns.name);
      return objects;
    },
    get sgs(): Objects {
      return new Objects(SecurityGroupKind, ns.name);
    },
  };
}

function groupTags(g: SecurityGroup | undefined): Record<string, string> {
  return Object.fromEntries((g?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** A security group made outside setpoint, with one ssh rule and a team tag, and no setpoint tags. */
async function existingGroup(name: string): Promise<string> {
  const made = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: name,
      Description: "made by hand",
      VpcId: SEED_VPC_ID,
      TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "team", Value: "legacy" }] }],
    }),
  );
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: made.GroupId,
      IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }],
    }),
  );
  return made.GroupId ?? "";
}

/** The SecurityGroup spec a tenant would write to take over a group: postgres only, not ssh. */
function groupTakeoverSpec(config: string, policies?: string[]): Record<string, unknown> {
  return {
    providerConfigRef: { name: config },
    ...(policies ? { managementPolicies: policies } : {}),
    forProvider: {
      vpcId: SEED_VPC_ID,
      description: "made by hand",
      ingress: [{ protocol: "tcp", fromPort: 5432, cidrBlocks: ["10.42.0.0/16"] }],
    },
  };
}

describe("a tenant naming an existing untagged RDS instance", { timeout: 180_000 }, () => {
  // The default ProviderConfig: adoption Forbid, every namespace.
  const t = useTenant("takeover", {
    instance: { class: "db.t3.small", storage: 50, tags: { team: "billing" } },
  });
  const { ns, config, instance: prodBilling } = t;

  async function assertUntouched(): Promise<void> {
    const inst = await describeInstance(prodBilling);
    assert.equal(inst?.DBInstanceClass, "db.t3.small", "class unchanged");
    assert.equal(inst?.AllocatedStorage, 50, "storage unchanged");
    assert.deepEqual(tagsOf(inst), { team: "billing" }, "no setpoint tags written");
    const stats = t.proxy.stats();
    assert.equal(
      stats.mutatingCalls,
      0,
      `no call that changes anything: ${JSON.stringify(stats.callsByAction)}`,
    );
    for (const action of [
      "ModifyDBInstance",
      "AddTagsToResource",
      "RemoveTagsFromResource",
      "DeleteDBInstance",
    ]) {
      assert.equal(stats.callsByAction[action], undefined, `no ${action}`);
    }
  }

  it("with Observe and Update, gets a terminal condition and a Warning, and the instance keeps class, storage, tags and password", async () => {
    await t.sql.create("billing", takeoverSpec(config, ["Observe", "Update"]), {
      [Annotations.externalName]: prodBilling,
    });
    const mr = await t.sql.waitForCondition("billing", "Synced", "False", { reason: "ReconcileTerminal" });
    const message = condition(mr, "Synced")?.message ?? "";
    assert.match(message, /^cannot manage external resource: AdoptionNotAllowed: /);
    assert.match(message, new RegExp(`spec\\.adoption\\.policy: Allow on ProviderConfig "${config}"`));
    assert.match(message, /Nothing was written to the cloud/);
    const events = await t.sql.events("billing");
    assert.ok(
      events.some(
        (e) =>
          e.type === "Warning" &&
          e.reason === "CannotManageExternalResource" &&
          /AdoptionNotAllowed/.test(e.message),
      ),
      JSON.stringify(events),
    );
    await sleep(SEVERAL_POLLS_MS);
    await assertUntouched();
    assert.ok(t.proxy.stats().callsByAction.DescribeDBInstances, "it did look");
    assert.equal(await secretData(ns.name, "billing-conn"), undefined, "no connection Secret");
    assert.notEqual(condition(await t.sql.get("billing"), "Ready")?.status, "True");
  });

  it("deleting it removes only the finalizer: nothing is deleted in the cloud", async () => {
    await t.sql.delete("billing");
    await t.sql.waitUntilGone("billing");
    await assertUntouched();
  });

  it("with every policy, is refused just the same, and its deletion says why nothing was deleted", async () => {
    await t.sql.create("billing-all", takeoverSpec(config), { [Annotations.externalName]: prodBilling });
    const mr = await t.sql.waitForCondition("billing-all", "Synced", "False", {
      reason: "ReconcileTerminal",
    });
    assert.match(condition(mr, "Synced")?.message ?? "", /AdoptionNotAllowed/);
    assert.ok(mr.metadata.finalizers?.includes(FINALIZER));
    await t.sql.delete("billing-all");
    await t.sql.waitUntilGone("billing-all");
    const events = await t.sql.events("billing-all");
    assert.ok(
      events.some(
        (e) =>
          e.type === "Warning" &&
          e.reason === "OrphanedExternalResource" &&
          /setpoint did not create it/.test(e.message),
      ),
      JSON.stringify(events),
    );
    await assertUntouched();
  });

  it("a tenant cannot claim the instance by writing setpoint's own create annotation", async () => {
    await t.sql.create("billing-forged", takeoverSpec(config), {
      [Annotations.externalName]: prodBilling,
      [Annotations.externalCreateSucceeded]: "2026-01-01T00:00:00Z",
    });
    const mr = await t.sql.waitForCondition("billing-forged", "Synced", "False", {
      reason: "ReconcileTerminal",
    });
    assert.match(condition(mr, "Synced")?.message ?? "", /AdoptionNotAllowed/);
    await t.sql.delete("billing-forged");
    await t.sql.waitUntilGone("billing-forged");
    await assertUntouched();
  });
});

describe("an adoption the ProviderConfig allows for the namespace", { timeout: 180_000 }, () => {
  const label = uniqueName("adopters");
  const t = useTenant("adopt", {
    spec: {
      adoption: { policy: "Allow", namespaceSelector: { matchLabels: { "setpoint.dev/e2e-adopt": label } } },
    },
    instance: { class: "db.t3.small", storage: 30, tags: { team: "legacy" } },
    prepare: (namespace) => labelNamespace(namespace, { "setpoint.dev/e2e-adopt": label }),
  });
  const { ns, config, instance: legacy } = t;

  it("takes the instance over: tags it, applies the spec, and does not touch its password", async () => {
    const spec = takeoverSpec(config);
    (spec.forProvider as Record<string, unknown>).instanceClass = "db.t3.small";
    (spec.forProvider as Record<string, unknown>).allocatedStorage = 40;
    await t.sql.create("legacy", spec, { [Annotations.externalName]: legacy });
    const inst = await waitFor(() => describeInstance(legacy), {
      what: "the adopted instance to carry the owner tags and the spec's storage",
      until: (i) => tagsOf(i)[Tags.owner] === `${ns.name}/legacy` && i?.AllocatedStorage === 40,
      timeoutMs: 60_000,
    });
    const mr = await t.sql.get("legacy");
    assert.equal(tagsOf(inst)[Tags.uid], mr?.metadata.uid);
    assert.equal(tagsOf(inst).team, "legacy", "its own tags stay");
    await t.sql.waitForCondition("legacy", "Synced", "True");
    await t.sql.waitForCondition("legacy", "Ready", "True");
    const conn = await waitFor(() => secretData(ns.name, "billing-conn"), { what: "the connection Secret" });
    assert.equal(conn?.username, "billing");
    assert.ok(conn?.host);
    assert.equal(conn?.password, undefined, "the tenant's Secret is not the instance's password");
    assert.ok(atProvider(await t.sql.get("legacy")).masterPasswordSecretVersionAtAdoption !== undefined);
    assert.equal(t.proxy.stats().callsByAction.ModifyDBInstance, 1, "one modify: the storage");
  });

  it("sets the password once the tenant changes the Secret, and then publishes it", async () => {
    const modifies = t.proxy.stats().callsByAction.ModifyDBInstance ?? 0;
    await putSecret(ns.name, "my-password", "handed-over-password");
    const conn = await waitFor(() => secretData(ns.name, "billing-conn"), {
      what: "the connection Secret to carry the password setpoint set",
      until: (d) => d?.password === "handed-over-password",
      timeoutMs: 60_000,
    });
    assert.equal(conn?.password, "handed-over-password");
    assert.equal(t.proxy.stats().callsByAction.ModifyDBInstance, modifies + 1);
    const at = atProvider(await t.sql.get("legacy"));
    assert.equal(at.masterPasswordSecretVersionAtAdoption, undefined);
    assert.ok(at.masterPasswordSecretVersion);
  });

  it("being its owner now, deletes it with the custom resource", async () => {
    await t.sql.delete("legacy");
    await t.sql.waitUntilGone("legacy", 60_000);
    assert.ok(t.proxy.stats().callsByAction.DeleteDBInstance, "deleted in the cloud");
  });
});

describe("Observe-only adoption", { timeout: 120_000 }, () => {
  const t = useTenant("observe-adopt", {
    spec: { adoption: { policy: "Allow" } },
    instance: { class: "db.t3.small", storage: 30, tags: { team: "ro" } },
  });
  const { ns, config, instance: legacy } = t;

  it("reports the owner tags and the spec's differences as drift, and writes nothing to the cloud", async () => {
    await t.sql.create("ro", takeoverSpec(config, ["Observe"]), { [Annotations.externalName]: legacy });
    const mr = await t.sql.waitForCondition("ro", "Drifted", "True");
    assert.equal(condition(mr, "Synced")?.status, "True");
    const paths = (mr.status?.drift?.fields ?? []).map((f) => f.path);
    assert.ok(paths.includes("forProvider.allocatedStorage"), JSON.stringify(paths));
    assert.ok(paths.includes(`forProvider.tags["${Tags.owner}"]`), JSON.stringify(paths));
    await sleep(SEVERAL_POLLS_MS);
    const inst = await describeInstance(legacy);
    assert.deepEqual(tagsOf(inst), { team: "ro" }, "not tagged: tagging is a change");
    assert.equal(inst?.AllocatedStorage, 30);
    assert.equal(inst?.DBInstanceClass, "db.t3.small");
    assert.equal(t.proxy.stats().mutatingCalls, 0, JSON.stringify(t.proxy.stats().callsByAction));
    const conn = await secretData(ns.name, "billing-conn");
    assert.equal(conn?.password, undefined, "no password it did not set");
  });

  it("deleting it leaves the instance", async () => {
    await t.sql.delete("ro");
    await t.sql.waitUntilGone("ro");
    assert.ok(await describeInstance(legacy));
    assert.equal(t.proxy.stats().mutatingCalls, 0);
  });
});

describe("a namespace outside the ProviderConfig's namespaceSelector", { timeout: 180_000 }, () => {
  const team = uniqueName("team");
  const selecting = { namespaceSelector: { matchLabels: { "setpoint.dev/e2e-team": team } } };
  // No retry of a terminal refusal within the test: only the fan-outs (a namespace's labels, the
  // ProviderConfig) can make the engine look again.
  const t = useTenant("outsider", { spec: selecting, engine: { terminalRetryMs: 600_000 } });
  const { ns, config } = t;

  const spec = () => ({
    providerConfigRef: { name: config },
    forProvider: {
      engine: "postgres",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "app",
    },
  });

  it("is refused with a terminal condition naming the ProviderConfig, an Event, and no cloud call at all", async () => {
    await t.sql.create("db", spec());
    const mr = await t.sql.waitForCondition("db", "Synced", "False", { reason: "ReconcileTerminal" });
    const message = condition(mr, "Synced")?.message ?? "";
    assert.match(
      message,
      new RegExp(
        `^cannot use provider config: NamespaceNotAllowed: namespace "${ns.name}" may not use ProviderConfig "${config}"`,
      ),
    );
    assert.match(message, /spec\.namespaceSelector/);
    const events = await t.sql.events("db");
    assert.ok(
      events.some((e) => e.type === "Warning" && e.reason === "CannotUseProviderConfig"),
      JSON.stringify(events),
    );
    assert.equal(mr.metadata.finalizers, undefined, "nothing written, not even a finalizer");
    await sleep(SEVERAL_POLLS_MS);
    assert.equal(t.proxy.stats().calls, 0, `no cloud call: ${JSON.stringify(t.proxy.stats().callsByAction)}`);
  });

  it("is reconciled as soon as the namespace's labels match", async () => {
    await labelNamespace(ns.name, { "setpoint.dev/e2e-team": team });
    await t.sql.waitForCondition("db", "Ready", "True", { timeoutMs: 60_000 });
    assert.ok(t.proxy.stats().callsByAction.CreateDBInstance);
  });

  it("is refused again, with no further call, when the administrator narrows the selector", async () => {
    await installAwsProviderConfig(config, {
      endpoint: t.proxy.url,
      spec: { namespaceSelector: { matchLabels: { "setpoint.dev/e2e-team": "someone-else" } } },
    });
    await t.sql.waitForCondition("db", "Synced", "False", { reason: "ReconcileTerminal" });
    const calls = t.proxy.stats().calls;
    await sleep(SEVERAL_POLLS_MS);
    assert.equal(t.proxy.stats().calls, calls, "no cloud call while refused");
  });

  it("keeps the finalizer and the instance when deleted while refused, and deletes once admitted again", async () => {
    const id = (await t.sql.get("db"))?.metadata.annotations?.[Annotations.externalName] ?? "";
    await t.sql.delete("db");
    await sleep(SEVERAL_POLLS_MS);
    const waiting = await t.sql.get("db");
    assert.ok(waiting?.metadata.deletionTimestamp, "still there, Terminating");
    assert.match(condition(waiting, "Synced")?.message ?? "", /NamespaceNotAllowed/);
    assert.ok(await describeInstance(id), "not deleted in the cloud");
    await installAwsProviderConfig(config, { endpoint: t.proxy.url, spec: selecting });
    await t.sql.waitUntilGone("db", 60_000);
  });
});

describe("a tenant naming an existing untagged security group", { timeout: 180_000 }, () => {
  // The default ProviderConfig: adoption Forbid.
  const t = useTenant("sg-takeover", {});
  const legacy = uniqueName("legacy-sg");

  before(async () => {
    await existingGroup(legacy);
  });

  it("is refused with AdoptionNotAllowed, and the group keeps its rules and tags: nothing is written", async () => {
    await t.sgs.create("db", groupTakeoverSpec(t.config), { [Annotations.externalName]: legacy });
    const mr = await t.sgs.waitForCondition("db", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(
      condition(mr, "Synced")?.message ?? "",
      new RegExp(
        `AdoptionNotAllowed: SecurityGroup ${legacy} already exists in the cloud and carries no setpoint owner tags`,
      ),
    );
    const events = await t.sgs.events("db");
    assert.ok(
      events.some((e) => e.type === "Warning" && e.reason === "CannotManageExternalResource"),
      JSON.stringify(events),
    );
    await sleep(SEVERAL_POLLS_MS);
    const group = await securityGroupNamed(legacy);
    assert.deepEqual(
      ruleLines(group?.IpPermissions),
      ["tcp/22-22 10.0.0.0/8"],
      "the ssh rule is still there",
    );
    assert.deepEqual(groupTags(group), { team: "legacy" }, "not tagged: tagging is a change");
    assert.equal(t.proxy.stats().mutatingCalls, 0, JSON.stringify(t.proxy.stats().callsByAction));
  });

  it("deleting it removes only the finalizer: the group stays in EC2", async () => {
    await t.sgs.delete("db");
    await t.sgs.waitUntilGone("db");
    assert.ok(await securityGroupNamed(legacy), "the group was deleted");
    assert.equal(t.proxy.stats().mutatingCalls, 0, JSON.stringify(t.proxy.stats().callsByAction));
  });
});

describe("a security group adoption the ProviderConfig allows", { timeout: 180_000 }, () => {
  const t = useTenant("sg-adopt", { spec: { adoption: { policy: "Allow" } } });
  const legacy = uniqueName("legacy-sg");
  const watched = uniqueName("watched-sg");

  before(async () => {
    await existingGroup(legacy);
    await existingGroup(watched);
  });

  it("Observe-only, reports the differences as drift and writes nothing to EC2", async () => {
    await t.sgs.create("ro", groupTakeoverSpec(t.config, ["Observe"]), {
      [Annotations.externalName]: watched,
    });
    const mr = await t.sgs.waitForCondition("ro", "Drifted", "True");
    const paths = (mr.status?.drift?.fields ?? []).map((f) => f.path);
    assert.ok(paths.includes("forProvider.ingress[tcp/22 from 10.0.0.0/8]"), JSON.stringify(paths));
    await sleep(SEVERAL_POLLS_MS);
    const group = await securityGroupNamed(watched);
    assert.deepEqual(ruleLines(group?.IpPermissions), ["tcp/22-22 10.0.0.0/8"]);
    assert.deepEqual(groupTags(group), { team: "legacy" });
    assert.equal(t.proxy.stats().mutatingCalls, 0, JSON.stringify(t.proxy.stats().callsByAction));
  });

  it("takes the group over: tags it and makes its rules the spec's", async () => {
    await t.sgs.create("db", groupTakeoverSpec(t.config), { [Annotations.externalName]: legacy });
    await t.sgs.waitForCondition("db", "Ready", "True", { timeoutMs: 60_000 });
    const group = await waitFor(() => securityGroupNamed(legacy), {
      what: "the ssh rule to be replaced by the spec's",
      until: (g) => ruleLines(g?.IpPermissions).join() === "tcp/5432-5432 10.42.0.0/16",
    });
    const mr = await t.sgs.get("db");
    assert.equal(groupTags(group)[Tags.owner], `${t.ns.name}/db`);
    assert.equal(groupTags(group)[Tags.uid], mr?.metadata.uid);
  });

  it("being its owner now, deletes it with the custom resource; the Observe-only one stays", async () => {
    await t.sgs.delete("db");
    await t.sgs.waitUntilGone("db", 60_000);
    assert.equal(await securityGroupNamed(legacy), undefined, "the adopted group is gone");
    await t.sgs.delete("ro");
    await t.sgs.waitUntilGone("ro");
    assert.ok(await securityGroupNamed(watched), "the observed group stays");
  });
});

describe("a reference to another namespace", () => {
  const ns = useNamespace("refs");

  before(async () => {
    await installAwsProviderConfig();
  });

  const cases: { name: string; kind: typeof SqlInstanceKind; spec: Record<string, unknown> }[] = [
    {
      name: "a SqlInstance's password Secret in another namespace",
      kind: SqlInstanceKind,
      spec: {
        forProvider: {
          engine: "postgres",
          instanceClass: "db.t3.micro",
          allocatedStorage: 20,
          masterUsername: "app",
          masterPasswordSecretRef: { name: "their-password", namespace: "kube-system" },
        },
      },
    },
    {
      name: "a SqlInstance's connection Secret in another namespace",
      kind: SqlInstanceKind,
      spec: {
        writeConnectionSecretToRef: { name: "conn", namespace: "kube-system" },
        forProvider: {
          engine: "postgres",
          instanceClass: "db.t3.micro",
          allocatedStorage: 20,
          masterUsername: "app",
        },
      },
    },
    {
      name: "a LoadBalancer's connection Secret in another namespace",
      kind: LoadBalancerKind as unknown as typeof SqlInstanceKind,
      spec: {
        writeConnectionSecretToRef: { name: "conn", namespace: "kube-system" },
        forProvider: { subnets: ["subnet-1", "subnet-2"] },
      },
    },
    {
      name: "a SqlInstance's DBSubnetGroup in another namespace",
      kind: SqlInstanceKind,
      spec: {
        forProvider: {
          engine: "postgres",
          instanceClass: "db.t3.micro",
          allocatedStorage: 20,
          masterUsername: "app",
          dbSubnetGroupNameRef: { name: "shared-subnets", namespace: "platform" },
        },
      },
    },
    {
      name: "a SqlInstance's SecurityGroup in another namespace",
      kind: SqlInstanceKind,
      spec: {
        forProvider: {
          engine: "postgres",
          instanceClass: "db.t3.micro",
          allocatedStorage: 20,
          masterUsername: "app",
          vpcSecurityGroupIdRefs: [{ name: "db" }, { name: "shared-db", namespace: "platform" }],
        },
      },
    },
    {
      name: "a LoadBalancer's SecurityGroup in another namespace",
      kind: LoadBalancerKind as unknown as typeof SqlInstanceKind,
      spec: {
        forProvider: {
          subnets: ["subnet-1", "subnet-2"],
          securityGroupRefs: [{ name: "web", namespace: "platform" }],
        },
      },
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} at admission, even when unknown fields are not checked`, async () => {
      // fieldValidation=Ignore: what a client that skips strict field checks gets. The schema would
      // have pruned the key silently; the rule rejects it instead.
      const r = await kubeRequest<{ message?: string }>(
        "POST",
        `/apis/${c.kind.group}/${c.kind.version}/namespaces/${ns.name}/${c.kind.plural}?fieldValidation=Ignore`,
        {
          apiVersion: `${c.kind.group}/${c.kind.version}`,
          kind: c.kind.kind,
          metadata: { name: uniqueName("ref"), namespace: ns.name },
          spec: c.spec,
        },
      );
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match(r.body.message ?? "", /references stay in the resource's own namespace: remove namespace/);
    });
  }

  it("accepts the same references without a namespace", async () => {
    const sql = new Objects(SqlInstanceKind, ns.name);
    await sql.create("local-refs", {
      writeConnectionSecretToRef: { name: "conn" },
      forProvider: {
        engine: "postgres",
        instanceClass: "db.t3.micro",
        allocatedStorage: 20,
        masterUsername: "app",
        masterPasswordSecretRef: { name: "my-password" },
      },
    });
    assert.ok(await sql.get("local-refs"));
    await sql.delete("local-refs");
  });
});
