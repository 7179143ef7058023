// PulumiStack end to end on AWS: the real engine with the real Pulumi provider runs
// examples/pulumi/s3-bucket.ts (a dynamic provider written against the AWS SDK v3) with the Pulumi CLI
// built from the Go module proxy, against the test kube-apiserver and moto, with its state in moto's
// S3. The bucket is changed behind setpoint's back through the S3 API, as a person with console access
// would, and every assertion reads the API server, the bucket, or the stack's state.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteBucketCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import type { Managed } from "../../controller/api/index.ts";
import { freePort } from "../../controlplane/ports.ts";
import { lockDir } from "../../providers/pulumi/locks.ts";
import { rejection } from "../support/admission.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { condition } from "../support/engine.ts";
import { uniqueName, useNamespace, waitFor } from "../support/env.ts";
import {
  type PulumiEngine,
  putSecret,
  readSecret,
  STATE_BUCKET,
  s3,
  stacks,
  startPulumiEngine,
  TEST_PROGRAMS,
} from "../support/pulumi.ts";
import { needTool, skipUnless } from "../support/tools.ts";

const pulumi = needTool("pulumi");

interface Observed {
  outputs?: Record<string, string>;
  secretOutputs?: string[];
  resources?: number;
  program?: string;
  stack?: string;
}
const atProvider = (mr: Managed | undefined) => (mr?.status?.atProvider ?? {}) as Observed;
const drift = (mr: Managed | undefined) => mr?.status?.drift;

async function bucket(name: string) {
  const exists = await s3.send(new HeadBucketCommand({ Bucket: name })).then(
    () => true,
    () => false,
  );
  if (!exists) return undefined;
  const v = await s3.send(new GetBucketVersioningCommand({ Bucket: name }));
  const t = await s3.send(new GetBucketTaggingCommand({ Bucket: name })).catch(() => ({ TagSet: [] }));
  return {
    versioning: v.Status,
    tags: Object.fromEntries((t.TagSet ?? []).map((x) => [x.Key ?? "", x.Value ?? ""])),
  };
}

/** The URN of the example program's bucket in a stack. */
const bucketUrn = (ns: string, stack: string) =>
  `urn:pulumi:${stack}::${ns}::pulumi-nodejs:dynamic:Resource::orders-bucket`;
const field = (ns: string, stack: string, path: string) =>
  `resources[${JSON.stringify(bucketUrn(ns, stack))}]${path}`;

function stackSpec(bucketName: string, secretName: string, extra: Record<string, unknown> = {}) {
  return {
    writeConnectionSecretToRef: { name: `${bucketName}-outputs` },
    forProvider: {
      program: "s3-bucket",
      config: {
        bucketName: { value: bucketName },
        versioning: { value: "true" },
        tags: { value: JSON.stringify({ team: "orders" }) },
        readerToken: { secretKeyRef: { name: secretName, key: "readerToken" } },
      },
      stateRef: { s3: { bucket: STATE_BUCKET, prefix: "e2e" } },
      passphraseSecretRef: { name: secretName, key: "passphrase" },
      connectionOutputs: ["readerToken", "arn"],
    },
    ...extra,
  };
}

describe("a PulumiStack running a dynamic-provider program against moto", {
  skip: skipUnless(pulumi),
  timeout: 15 * 60_000,
}, () => {
  const ns = useNamespace("pulumi-s3");
  let engine: PulumiEngine;
  const name = "orders";
  const bucketName = uniqueName("orders");
  const secretName = "orders-pulumi";

  before(async () => {
    engine = await startPulumiEngine(ns.name, { pulumi });
    await putSecret(ns.name, secretName, {
      passphrase: "a long and secret passphrase",
      readerToken: "token-one-1234",
    });
  });
  after(async () => {
    await engine?.stop();
  });

  it("creates the bucket with versioning and tags, and reports the stack's outputs", async () => {
    const objects = stacks(ns.name);
    await objects.create(name, stackSpec(bucketName, secretName));
    const mr = await objects.waitForCondition(name, "Ready", "True", { timeoutMs: 180_000 });
    assert.equal(condition(mr, "Synced")?.status, "True", JSON.stringify(mr.status?.conditions));
    const found = await bucket(bucketName);
    assert.equal(found?.versioning, "Enabled");
    assert.equal(found?.tags.team, "orders");
    // The program tags what it creates with the owner setpoint hands it.
    assert.equal(found?.tags["setpoint.dev/owner"], `${ns.name}/${name}`);
    assert.equal(found?.tags["setpoint.dev/uid"], mr.metadata.uid);
    const observed = atProvider(mr);
    assert.equal(observed.stack, `${ns.name}/${name}`);
    assert.equal(observed.resources, 1);
    assert.deepEqual(observed.outputs, { arn: `arn:aws:s3:::${bucketName}`, bucketName });
    assert.deepEqual(observed.secretOutputs, ["readerToken"], "a secret output is named, never shown");
    assert.match(observed.program ?? "", /^s3-bucket@[0-9a-f]{12}$/);
  });

  it("writes the named outputs, the secret one included, to the connection Secret", async () => {
    const secret = await waitFor(() => readSecret(ns.name, `${bucketName}-outputs`), {
      what: "the connection Secret",
    });
    assert.deepEqual(secret, { arn: `arn:aws:s3:::${bucketName}`, readerToken: "token-one-1234" });
  });

  it("keeps the state under the namespace's own project in the bucket", async () => {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: STATE_BUCKET, Prefix: "e2e/.pulumi/stacks/" }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    assert.ok(keys.includes(`e2e/.pulumi/stacks/${ns.name}/${name}.json`), keys.join(", "));
  });

  it("reports drift in versioning and tags per field, then corrects it", async () => {
    const objects = stacks(ns.name);
    const before = drift(await objects.get(name))?.corrections ?? 0;
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucketName,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    const tags = (await bucket(bucketName))?.tags ?? {};
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: bucketName,
        Tagging: {
          TagSet: Object.entries({ ...tags, team: "someone-else" }).map(([Key, Value]) => ({ Key, Value })),
        },
      }),
    );
    const corrected = await waitFor(() => objects.get(name), {
      what: "the drift to be corrected",
      timeoutMs: 120_000,
      until: (mr) => (drift(mr)?.corrections ?? 0) > before && condition(mr, "Drifted")?.status === "False",
    });
    const last = drift(corrected)?.history[0];
    assert.equal(last?.action, "Corrected");
    assert.deepEqual(last?.fields, [
      field(ns.name, name, ".inputs.tags.team"),
      field(ns.name, name, ".inputs.versioning"),
    ]);
    const events = await objects.events(name);
    const detected = events.find((e) => e.reason === "DriftDetected");
    assert.ok(detected, JSON.stringify(events));
    assert.match(detected.message, /\.inputs\.versioning \(desired true, observed false\)/);
    assert.match(detected.message, /\.inputs\.tags\.team \(desired orders, observed someone-else\)/);
    const found = await bucket(bucketName);
    assert.equal(found?.versioning, "Enabled");
    assert.equal(found?.tags.team, "orders");
  });

  it("recreates the bucket after it is deleted out of band", async () => {
    const objects = stacks(ns.name);
    const before = drift(await objects.get(name))?.corrections ?? 0;
    await s3.send(new DeleteBucketCommand({ Bucket: bucketName }));
    const mr = await waitFor(() => objects.get(name), {
      what: "the deleted bucket to be recreated",
      timeoutMs: 120_000,
      until: (m) => (drift(m)?.corrections ?? 0) > before,
    });
    assert.deepEqual(drift(mr)?.history[0]?.fields, [
      `resources[${JSON.stringify(bucketUrn(ns.name, name))}]`,
    ]);
    const found = await waitFor(() => bucket(bucketName), { what: "the bucket to exist again" });
    assert.equal(found?.versioning, "Enabled");
  });

  it("applies a config change as an update, not as drift", async () => {
    const objects = stacks(ns.name);
    const before = drift(await objects.get(name))?.corrections;
    await objects.patch(name, {
      spec: { forProvider: { config: { tags: { value: JSON.stringify({ team: "payments" }) } } } },
    });
    await waitFor(() => bucket(bucketName), {
      what: "the new tag on the bucket",
      timeoutMs: 120_000,
      until: (b) => b?.tags.team === "payments",
    });
    // The bucket is tagged during the up; the status and the Event come after it returns.
    const isUpdate = (e: { reason?: string; message: string }) =>
      e.reason === "UpdatedExternalResource" && /forProvider\.config/.test(e.message);
    await waitFor(() => objects.events(name), {
      what: "an UpdatedExternalResource event naming the config",
      timeoutMs: 60_000,
      until: (events) => events.some(isUpdate),
    });
    const mr = await objects.waitForCondition(name, "Synced", "True");
    assert.equal(drift(mr)?.corrections, before, "a spec change is not counted as a correction");
  });

  it("applies a changed Secret value as a change through a reference, not as drift", async () => {
    const objects = stacks(ns.name);
    const before = drift(await objects.get(name))?.corrections;
    await putSecret(ns.name, secretName, {
      passphrase: "a long and secret passphrase",
      readerToken: "token-two-5678",
    });
    await waitFor(() => readSecret(ns.name, `${bucketName}-outputs`), {
      what: "the new secret output in the connection Secret",
      timeoutMs: 120_000,
      until: (s) => s?.readerToken === "token-two-5678",
    });
    const mr = await objects.get(name);
    assert.equal(drift(mr)?.corrections, before);
    assert.ok(!JSON.stringify(mr?.status).includes("token-two-5678"), "the secret never reaches status");
    const events = await objects.events(name);
    assert.ok(!events.some((e) => e.message.includes("token-two")), "nor an event");
  });

  it("under Observe only, reports drift as a plan and changes nothing", async () => {
    const objects = stacks(ns.name);
    await objects.patch(name, { spec: { managementPolicies: ["Observe"] } });
    await objects.waitForCondition(name, "Synced", "True");
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: bucketName,
        VersioningConfiguration: { Status: "Suspended" },
      }),
    );
    const mr = await waitFor(() => objects.get(name), {
      what: "the drift to be reported",
      timeoutMs: 120_000,
      until: (m) => condition(m, "Drifted")?.status === "True",
    });
    assert.deepEqual(drift(mr)?.fields, [
      { path: field(ns.name, name, ".inputs.versioning"), desired: "true", observed: "false" },
    ]);
    assert.equal(condition(mr, "Synced")?.status, "True");
    // Two more polls: still drifted, never corrected.
    await new Promise((r) => setTimeout(r, 10_000));
    assert.equal((await bucket(bucketName))?.versioning, "Suspended");
    await objects.patch(name, { spec: { managementPolicies: ["*"] } });
    await waitFor(() => bucket(bucketName), {
      what: "the correction once updates are allowed again",
      timeoutMs: 120_000,
      until: (b) => b?.versioning === "Enabled",
    });
  });

  it("destroys the bucket and the stack when the PulumiStack is deleted", async () => {
    const objects = stacks(ns.name);
    await objects.delete(name);
    await objects.waitUntilGone(name, 120_000);
    assert.equal(await bucket(bucketName), undefined);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: STATE_BUCKET, Prefix: `e2e/.pulumi/stacks/${ns.name}/` }),
    );
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? "");
    assert.ok(
      !keys.includes(`e2e/.pulumi/stacks/${ns.name}/${name}.json`),
      `destroy removed the stack as well: ${keys.join(", ")}`,
    );
  });

  it("leaves the bucket and the stack under deletionPolicy Orphan", async () => {
    const objects = stacks(ns.name);
    const kept = uniqueName("kept");
    await objects.create("kept", stackSpec(kept, secretName, { deletionPolicy: "Orphan" }));
    await objects.waitForCondition("kept", "Ready", "True", { timeoutMs: 180_000 });
    await objects.delete("kept");
    await objects.waitUntilGone("kept", 60_000);
    assert.ok(await bucket(kept), "the bucket stays");
  });
});

describe("PulumiStack failures", { skip: skipUnless(pulumi), timeout: 10 * 60_000 }, () => {
  const ns = useNamespace("pulumi-fail");
  let engine: PulumiEngine;

  before(async () => {
    engine = await startPulumiEngine(ns.name, { pulumi, programsDir: TEST_PROGRAMS });
    await putSecret(ns.name, "stack", { passphrase: "a long and secret passphrase" });
  });
  after(async () => {
    await engine?.stop();
  });

  const spec = (program: string, extra: Record<string, unknown> = {}) => ({
    forProvider: {
      program,
      config: { bucketName: { value: uniqueName("fail") } },
      stateRef: { s3: { bucket: STATE_BUCKET, prefix: "e2e" } },
      passphraseSecretRef: { name: "stack", key: "passphrase" },
      ...extra,
    },
  });

  it("reports a program that throws a TypeError as terminal, with the error", async () => {
    const objects = stacks(ns.name);
    await objects.create("broken", spec("broken"));
    const mr = await objects.waitForCondition("broken", "Synced", "False", {
      reason: "ReconcileTerminal",
      timeoutMs: 120_000,
    });
    assert.match(condition(mr, "Synced")?.message ?? "", /TypeError: Cannot read properties of null/);
  });

  it("reports a program the controller does not serve as terminal, naming the ones it does", async () => {
    const objects = stacks(ns.name);
    await objects.create("unknown", spec("no-such-program"));
    const mr = await objects.waitForCondition("unknown", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(
      condition(mr, "Synced")?.message ?? "",
      /no program "no-such-program".*it serves: broken, slow/,
    );
  });

  it("refuses state on the controller's disk when it was not started to allow it", async () => {
    const objects = stacks(ns.name);
    await objects.create("local", { forProvider: { ...spec("slow").forProvider, stateRef: { local: {} } } });
    const mr = await objects.waitForCondition("local", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(condition(mr, "Synced")?.message ?? "", /--pulumi-local-state-dir/);
  });

  it("is refused by the tenancy gate in a namespace the ProviderConfig does not select, and runs nothing", async () => {
    const config = uniqueName("pulumi-outsider");
    await installAwsProviderConfig(config, {
      spec: { namespaceSelector: { matchLabels: { "setpoint.dev/e2e-team": "someone-else" } } },
    });
    const objects = stacks(ns.name);
    await objects.create("outsider", { ...spec("slow"), providerConfigRef: { name: config } });
    const mr = await objects.waitForCondition("outsider", "Synced", "False", { reason: "ReconcileTerminal" });
    assert.match(
      condition(mr, "Synced")?.message ?? "",
      new RegExp(`NamespaceNotAllowed: namespace "${ns.name}" may not use ProviderConfig "${config}"`),
    );
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: STATE_BUCKET, Prefix: `e2e/.pulumi/stacks/${ns.name}/outsider` }),
    );
    assert.equal(listed.KeyCount ?? 0, 0, "no stack was made in the state bucket");
    await objects.delete("outsider");
    await objects.waitUntilGone("outsider", 60_000);
  });

  it("retries a backend it cannot reach, as a transient error", async () => {
    const port = await freePort();
    await installAwsProviderConfig("unreachable", { endpoint: `http://127.0.0.1:${port}` });
    const objects = stacks(ns.name);
    await objects.create("offline", { ...spec("slow"), providerConfigRef: { name: "unreachable" } });
    const mr = await objects.waitForCondition("offline", "Synced", "False", {
      reason: "ReconcileError",
      timeoutMs: 120_000,
    });
    assert.match(condition(mr, "Synced")?.message ?? "", /connection refused/);
  });

  it("removes a stale lock left by a killed CLI, and waits for a live one", async () => {
    const objects = stacks(ns.name);
    const name = "locked";
    await objects.create(name, spec("slow"));
    await objects.waitForCondition(name, "Ready", "True", { timeoutMs: 180_000 });
    const dir = `e2e/${lockDir(ns.name, name)}`;
    // A lock a person's `pulumi up` holds right now, on another machine: setpoint must wait for it.
    const live = { pid: 4242, username: "alice", hostname: "laptop", timestamp: new Date().toISOString() };
    await s3.send(
      new PutObjectCommand({ Bucket: STATE_BUCKET, Key: `${dir}/live.json`, Body: JSON.stringify(live) }),
    );
    await objects.patch(name, { spec: { forProvider: { config: { versioning: { value: "true" } } } } });
    const waiting = await objects.waitForCondition(name, "Synced", "False", { timeoutMs: 120_000 });
    assert.match(
      condition(waiting, "Synced")?.message ?? "",
      /locked by another operation: alice@laptop \(pid 4242\)/,
    );
    // An hour old: no operation of setpoint's lives that long, so it is stale, and removed.
    const stale = { ...live, timestamp: new Date(Date.now() - 3_600_000).toISOString() };
    await s3.send(
      new PutObjectCommand({ Bucket: STATE_BUCKET, Key: `${dir}/live.json`, Body: JSON.stringify(stale) }),
    );
    await objects.waitForCondition(name, "Synced", "True", { timeoutMs: 120_000 });
    const left = await s3.send(new ListObjectsV2Command({ Bucket: STATE_BUCKET, Prefix: `${dir}/` }));
    assert.equal(left.KeyCount ?? 0, 0);
    await objects.delete(name);
    await objects.waitUntilGone(name, 120_000);
  });
});

describe("PulumiStack admission", () => {
  const ns = useNamespace("pulumi-admission");
  const base = {
    program: "s3-bucket",
    stateRef: { s3: { bucket: STATE_BUCKET } },
    passphraseSecretRef: { name: "p", key: "k" },
  };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "a Secret reference that names another namespace",
      { ...base, config: { token: { secretKeyRef: { name: "s", key: "k", namespace: "kube-system" } } } },
      /references stay in the resource's own namespace/,
    ],
    [
      "a config value with both value and secretKeyRef",
      { ...base, config: { x: { value: "1", secretKeyRef: { name: "s", key: "k" } } } },
      /exactly one of value and secretKeyRef/,
    ],
    [
      "a config key the controller sets itself",
      { ...base, config: { "setpoint:owner": { value: "x" } } },
      /set by the controller/,
    ],
    [
      "state in both S3 and on local disk",
      { ...base, stateRef: { s3: { bucket: STATE_BUCKET }, local: {} } },
      /exactly one of s3 and local/,
    ],
    [
      "a passphrase from another namespace",
      { ...base, passphraseSecretRef: { name: "p", key: "k", namespace: "other" } },
      /references stay in the resource's own namespace/,
    ],
    [
      "a local state path that climbs out of the namespace's folder",
      { ...base, stateRef: { local: { path: "../kube-system" } } },
      /cannot contain "\." or "\.\." segments/,
    ],
    [
      "an absolute local state path",
      { ...base, stateRef: { local: { path: "/etc/setpoint" } } },
      /stateRef\.local\.path|should match|pattern/,
    ],
    ["a program name that is a path", { ...base, program: "../../tmp/evil" }, /program|should match|pattern/],
  ];
  for (const [what, forProvider, message] of cases) {
    it(`refuses ${what}`, async () => {
      await installAwsProviderConfig();
      assert.match(await rejection(stacks(ns.name).create(uniqueName("bad"), { forProvider })), message);
    });
  }
});
