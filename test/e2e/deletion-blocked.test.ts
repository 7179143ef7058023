// A deletion that cannot go on says why, on the real kube-apiserver and
// moto: the ProviderConfig is gone, its credentials Secret is gone, the cloud
// refuses the delete (an IAM AccessDenied, a transient 4xx) or deletion
// protection is on. Each case must show a Synced=False condition and an
// Event that name what is in the way, keep the finalizer while the DB
// instance still exists (never silently stuck, never silently dropped),
// retry, and finish once the obstacle goes. The orphan a user forces on
// purpose (deletionPolicy: Orphan after the delete, or removing the finalizer
// by hand) leaves the DB instance, as the README says.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type DBInstance, DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../apis/aws/v1alpha1/common.ts";
import { PROVIDER_CONFIG_PLURAL } from "../../apis/aws/v1alpha1/providerconfig.ts";
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { FINALIZER, type Managed } from "../../controller/api/index.ts";
import type { Manager } from "../../controller/manager/index.ts";
import { CREDENTIALS_NAMESPACE, installAwsProviderConfig, startAwsEngine } from "../support/aws.ts";
import { AwsFaultProxy } from "../support/aws-fault-proxy.ts";
import { type Json, withForProvider } from "../support/bad-inputs/catalogue.ts";
import { SQL_BASE } from "../support/bad-inputs/sqlinstance.ts";
import { condition, Objects } from "../support/engine.ts";
import {
  awsClientConfig,
  awsEndpoint,
  testKubeConfig,
  uniqueName,
  useNamespace,
  waitFor,
} from "../support/env.ts";

const rds = new RDSClient(awsClientConfig());
const core = testKubeConfig().makeApiClient(CoreV1Api);
const custom = testKubeConfig().makeApiClient(CustomObjectsApi);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The engine under test retries a terminal failure after this long. */
const TERMINAL_RETRY_MS = 2000;

async function describeInstance(id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if ((err as { name?: string }).name === "DBInstanceNotFoundFault") return undefined;
    throw err;
  }
}

async function deleteProviderConfig(name: string): Promise<void> {
  await custom
    .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: PROVIDER_CONFIG_PLURAL, name })
    .catch(() => {});
}

describe("a deletion that cannot go on says why", { timeout: 240_000 }, () => {
  const ns = useNamespace("deletion");
  let manager: Manager;
  let sql: Objects;
  const configs: string[] = [];
  const proxies: AwsFaultProxy[] = [];

  before(async () => {
    await installAwsProviderConfig();
    manager = await startAwsEngine(ns.name, { terminalRetryMs: TERMINAL_RETRY_MS });
    sql = new Objects(SqlInstanceKind, ns.name);
  });

  after(async () => {
    await manager?.stop();
    for (const p of proxies) await p.close();
    for (const c of configs) {
      await deleteProviderConfig(c);
      await core
        .deleteNamespacedSecret({ namespace: CREDENTIALS_NAMESPACE, name: `${c}-aws-credentials` })
        .catch(() => {});
    }
  });

  /** A Ready SqlInstance on a ProviderConfig of its own (optionally through a proxy); returns its DB identifier. */
  async function ready(name: string, opts: { proxy?: AwsFaultProxy; forProvider?: Json } = {}) {
    const config = uniqueName("del");
    configs.push(config);
    await installAwsProviderConfig(config, opts.proxy ? { endpoint: opts.proxy.url } : {});
    await sql.create(name, {
      ...withForProvider(SQL_BASE, opts.forProvider ?? {}),
      providerConfigRef: { name: config },
    });
    const mr = await sql.waitForCondition(name, "Ready", "True", { timeoutMs: 60_000 });
    const id = mr.metadata.annotations?.["setpoint.dev/external-name"] ?? "";
    assert.ok(await describeInstance(id), "the DB instance exists");
    return { config, id };
  }

  /** Waits for the deletion to be reported as blocked, and checks that nothing was let go. */
  async function blocked(
    name: string,
    id: string,
    message: RegExp,
    event: string,
    reason = "ReconcileTerminal",
  ) {
    const mr = await waitFor(() => sql.get(name), {
      what: `${name}'s deletion to be reported as blocked (${message})`,
      timeoutMs: 30_000,
      // The deletion's own report: a poll that ran just before the delete may have reported the same
      // failure without the deletion's words.
      until: (m) => {
        const c = condition(m, "Synced");
        return (
          c?.status === "False" &&
          c.reason === reason &&
          message.test(c.message ?? "") &&
          (c.message ?? "").includes("the deletion waits")
        );
      },
    });
    const synced = condition(mr, "Synced")?.message ?? "";
    assert.match(synced, /the deletion waits, and the finalizer stays until the cloud resource is deleted/);
    assert.match(synced, /set spec\.deletionPolicy: Orphan/);
    const events = await sql.events(name);
    assert.ok(
      events.some((e) => e.type === "Warning" && e.reason === event && message.test(e.message)),
      `no Warning ${event} naming it: ${JSON.stringify(events)}`,
    );
    // Past a retry: still held, and still in the cloud.
    await sleep(TERMINAL_RETRY_MS + 500);
    const later = (await sql.get(name)) as Managed;
    assert.ok(later.metadata.deletionTimestamp, "the object is being deleted");
    assert.ok(
      later.metadata.finalizers?.includes(FINALIZER),
      "the finalizer was dropped while the DB instance exists",
    );
    assert.ok(await describeInstance(id), "the DB instance is still there");
  }

  async function gone(name: string, id: string) {
    await sql.waitUntilGone(name, 30_000);
    assert.equal(await describeInstance(id), undefined, "the DB instance was deleted");
  }

  it("the ProviderConfig is gone: the condition and Event name it, and the deletion goes on once it is back", async () => {
    const { config, id } = await ready("no-config");
    await deleteProviderConfig(config);
    await sql.delete("no-config");
    await blocked(
      "no-config",
      id,
      new RegExp(`^cannot connect to provider: ProviderConfigNotFound: ProviderConfig "${config}" not found`),
      "CannotConnectToProvider",
    );
    await installAwsProviderConfig(config);
    await gone("no-config", id);
  });

  it("the credentials Secret is gone: the condition and Event name it, and the deletion goes on once it is back", async () => {
    const { config, id } = await ready("no-secret");
    const secret = `${config}-aws-credentials`;
    await core.deleteNamespacedSecret({ namespace: CREDENTIALS_NAMESPACE, name: secret });
    // Credentials are cached for a few seconds: delete once the controller has seen the Secret go.
    await waitFor(() => sql.get("no-secret"), {
      what: "the steady poll to find the credentials Secret gone",
      timeoutMs: 20_000,
      until: (m) => /CredentialsSecretNotFound/.test(condition(m, "Synced")?.message ?? ""),
    });
    await sql.delete("no-secret");
    await blocked(
      "no-secret",
      id,
      new RegExp(
        `CredentialsSecretNotFound: credentials Secret ${CREDENTIALS_NAMESPACE}/${secret} of ProviderConfig`,
      ),
      "CannotConnectToProvider",
    );
    await installAwsProviderConfig(config);
    await gone("no-secret", id);
  });

  for (const c of [
    {
      what: "an IAM AccessDenied (403), terminal: retried slowly",
      refusal: {
        code: "AccessDenied",
        status: 403,
        message: "not authorized to perform rds:DeleteDBInstance",
      },
      reason: "ReconcileTerminal",
      message:
        /^cannot delete external resource: AccessDenied: not authorized to perform rds:DeleteDBInstance/,
    },
    {
      what: "an InvalidDBInstanceState (400), transient: retried with backoff",
      refusal: { code: "InvalidDBInstanceState", status: 400, message: "Instance is being backed up" },
      reason: "ReconcileError",
      message: /^cannot delete external resource: InvalidDBInstanceState: Instance is being backed up/,
    },
  ]) {
    it(`the cloud refuses the delete with ${c.what}, and the deletion goes on once it stops`, async () => {
      const proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
      proxies.push(proxy);
      const name = `refused-${c.refusal.status}`;
      const { id } = await ready(name, { proxy });
      const rule = proxy.inject({
        action: "DeleteDBInstance",
        fault: "refuse",
        refusal: c.refusal,
        times: Infinity,
      });
      await sql.delete(name);
      await blocked(name, id, c.message, "CannotDeleteExternalResource", c.reason);
      const tries = proxy.stats().callsByAction.DeleteDBInstance ?? 0;
      assert.ok(tries >= 2, `the delete was not retried: ${tries} attempt(s)`);
      // Slowly or with backoff, never in a loop: over ~3s, a handful of tries at most.
      assert.ok(tries <= 8, `${tries} DeleteDBInstance calls: the refused delete is retried in a loop`);
      rule.remove();
      await gone(name, id);
    });
  }

  it("deletion protection: the condition says which field to change, and the deletion goes on once it is false", async () => {
    const { id } = await ready("protected", { forProvider: { deletionProtection: true } });
    await sql.delete("protected");
    const mr = (await waitFor(() => sql.get("protected"), {
      what: "the protected deletion to be refused",
      until: (m) => condition(m, "Synced")?.message?.includes("DeletionProtected") === true,
    })) as Managed;
    assert.match(
      condition(mr, "Synced")?.message ?? "",
      /set spec\.forProvider\.deletionProtection to false/,
    );
    assert.ok((await sql.events("protected")).some((e) => e.reason === "CannotDeleteExternalResource"));
    assert.ok(mr.metadata.finalizers?.includes(FINALIZER));
    assert.ok(await describeInstance(id));
    // Editing the spec of an object being deleted is allowed: that is the way out.
    await sql.patch("protected", { spec: { forProvider: { deletionProtection: false } } });
    await gone("protected", id);
  });

  it("deletionPolicy: Orphan set after the delete lets the object go and keeps the DB instance, with an Event", async () => {
    const { config, id } = await ready("orphan-after");
    await deleteProviderConfig(config);
    await sql.delete("orphan-after");
    await sql.waitForCondition("orphan-after", "Synced", "False");
    await sql.patch("orphan-after", { spec: { deletionPolicy: "Orphan" } });
    const events = await waitFor(() => sql.events("orphan-after"), {
      what: "an OrphanedExternalResource Event",
      until: (list) => list.some((e) => e.reason === "OrphanedExternalResource"),
    });
    assert.match(events.find((e) => e.reason === "OrphanedExternalResource")?.message ?? "", new RegExp(id));
    await sql.waitUntilGone("orphan-after");
    const left = await describeInstance(id);
    assert.ok(left, "the DB instance was kept");
    assert.ok(
      left.TagList?.some((t) => t.Key === "setpoint.dev/owner" && t.Value === `${ns.name}/orphan-after`),
    );
  });

  it("a finalizer removed by hand lets the object go at once and leaves the DB instance, tags and all", async () => {
    const { config, id } = await ready("by-hand");
    await deleteProviderConfig(config);
    await sql.delete("by-hand");
    await sql.waitForCondition("by-hand", "Synced", "False");
    await sql.patch("by-hand", { metadata: { finalizers: null } });
    await sql.waitUntilGone("by-hand");
    const left = await describeInstance(id);
    assert.ok(left, "the DB instance is left behind");
    assert.deepEqual(
      left.TagList?.filter((t) => t.Key?.startsWith("setpoint.dev/"))
        .map((t) => t.Key)
        .sort(),
      ["setpoint.dev/owner", "setpoint.dev/uid"],
    );
  });
});
