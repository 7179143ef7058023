// The provider conformance suite: what every provider module must do, checked against the real
// emulator (moto) through the AwsFaultProxy, with the real kube-apiserver holding the custom
// resources and the Secrets a provider reads. No engine runs: the suite drives the provider contract
// (controller/provider.ts) itself, the way the reconciler does, so a failure names the provider.
//
// A kind joins by exporting a ConformanceFixture from its provider folder (named
// conformance.test-fixture.ts) and adding one describeConformance(...) line to
// test/e2e/conformance.test.ts. The suite checks that:
//   - derived names equal their golden values, so a change to a hash can never orphan what exists
//     under the old names;
//   - a resource that was never created is reported missing, by observe and by observeMany;
//   - create is idempotent: a second create finds the first resource instead of making another;
//   - create is idempotent after a dropped answer: for each create action the proxy drops the
//     answer once AFTER the emulator applied it, the SDK or the engine's loop sends again, and the
//     cloud holds exactly one of everything, counted through the emulator's own API;
//   - observe and observeMany make no mutating call (counted at the proxy);
//   - observeMany gives the same observation as observe, resource by resource;
//   - two cloud resources carrying one resource's identity are reported and the extra one removed
//     (or the cloud itself refuses to make the second, which the fixture proves by trying);
//   - delete is idempotent: once gone, another delete succeeds and changes nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KindDefinition, Managed } from "../../controller/api/index.ts";
import { KubeAccessImpl } from "../../controller/kube/kube-access.ts";
import {
  type ExternalClient,
  isTerminal,
  type Observation,
  type Provider,
} from "../../controller/provider.ts";
import { canonicalJson } from "../../controller/reconciler/drift-report.ts";
import { destroySharedClients } from "../../providers/aws/shared/index.ts";
import { installAwsProviderConfig } from "./aws.ts";
import { AwsFaultProxy } from "./aws-fault-proxy.ts";
import { Objects } from "./engine.ts";
import {
  awsClientConfig,
  awsEndpoint,
  createNamespace,
  resetMoto,
  type TestNamespace,
  testKubeConfig,
} from "./env.ts";

/** SDK client config that reaches the emulator directly, past the proxy: for counting what exists. */
export type EmulatorAccess = ReturnType<typeof awsClientConfig>;

/** Runs `fn` with an SDK client made for the emulator, and destroys the client afterwards. */
export async function withClient<C extends { destroy(): void }, T>(
  client: C,
  fn: (client: C) => Promise<T>,
): Promise<T> {
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}

/** One derived name, pinned: `derived` is computed by the provider's code, `golden` is written down. */
export interface GoldenName {
  what: string;
  derived: string;
  golden: string;
}

export interface ConformanceFixture<F, A> {
  def: KindDefinition;
  provider: Provider<F, A>;
  /** A valid spec (forProvider and any other fields) for the seeded emulator network. */
  spec(): Record<string, unknown>;
  /**
   * Every action that creates a cloud part of one resource, the resource's own first. The suite
   * drops the answer to each in turn.
   */
  createActions: readonly string[];
  /** What one resource consists of in the cloud, e.g. { loadBalancers: 1, targetGroups: 1, listeners: 1 }. */
  expectedInventory: Readonly<Record<string, number>>;
  /** The same counts for the resource with this external name, read straight from the emulator. */
  inventory(externalName: string, aws: EmulatorAccess): Promise<Record<string, number>>;
  /**
   * Creates, straight in the emulator, a second cloud resource with the identity (name and owner
   * tags) of the existing one: "made". Or "refused", when the cloud will not hold two.
   */
  makeDuplicate(externalName: string, aws: EmulatorAccess): Promise<"made" | "refused">;
  goldenNames: readonly GoldenName[];
}

const arnOf = (obs: Observation<unknown>) => (obs.atProvider as { arn?: string } | undefined)?.arn;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NEVER_CREATED = "never-created";
const CREATED = "created";

/** How many observe/act rounds the suite's engine loop takes before it calls a provider stuck. */
const MAX_ROUNDS = 6;

interface Subject<F, A> {
  /** The custom resource's name. */
  name: string;
  mr: Managed<F, A>;
  client: ExternalClient<F, A>;
  externalName: string;
}

export function describeConformance<F, A>(f: ConformanceFixture<F, A>): void {
  const kind = f.def.kind;
  describe(`${kind} conforms to the provider contract (moto through the fault proxy)`, {
    timeout: 300_000,
  }, () => {
    const aws = (): EmulatorAccess => awsClientConfig();
    const providerConfig = `conformance-${kind.toLowerCase()}`;
    let proxy: AwsFaultProxy;
    let ns: TestNamespace;
    let objects: Objects;
    const ctx = { kube: new KubeAccessImpl(testKubeConfig()) };
    const made: Subject<F, A>[] = [];

    before(async () => {
      await resetMoto();
      proxy = await AwsFaultProxy.start({ target: awsEndpoint() });
      await installAwsProviderConfig(providerConfig, { endpoint: proxy.url });
      ns = await createNamespace("conform");
      objects = new Objects(f.def, ns.name);
    });

    after(async () => {
      console.log(`[conformance] ${kind}: calls through the proxy ${JSON.stringify(proxy?.stats())}`);
      destroySharedClients();
      await proxy?.close();
      await ns?.delete();
      await resetMoto();
    });

    /** A custom resource in the apiserver (no engine watches it) and a client for it. */
    async function subject(name: string): Promise<Subject<F, A>> {
      const stored = await objects.create(name, {
        ...f.spec(),
        providerConfigRef: { name: providerConfig },
      });
      // The apiserver validated it against the kind's schema, which is what F and A describe.
      const mr = stored as Managed<F, A>;
      const s = {
        name,
        mr,
        client: await f.provider.connect(mr, ctx),
        externalName: f.provider.deriveExternalName(ns.name, name),
      };
      made.push(s);
      return s;
    }

    /**
     * The reconciler's loop for a new resource: observe; create while missing (a transient error
     * is retried next round); wait while the cloud is busy; update while the observation shows
     * drift. Returns the settled observation and the transient errors met on the way.
     */
    async function reconcile(s: Subject<F, A>): Promise<{ obs: Observation<A>; errors: string[] }> {
      const errors: string[] = [];
      for (let round = 0; round < MAX_ROUNDS; round++) {
        try {
          const obs = await s.client.observe(s.mr);
          if (!obs.exists) await s.client.create(s.mr);
          else if (obs.inProgress) {
            // The cloud is still working on it: look again next round.
          } else if (obs.drift.length > 0) await s.client.update(s.mr, obs);
          else return { obs, errors };
        } catch (err) {
          if (isTerminal(err)) throw err;
          errors.push(err instanceof Error ? err.message : String(err));
        }
        await sleep(200);
      }
      const last = await s.client.observe(s.mr);
      assert.fail(
        `${kind} ${s.externalName} did not settle in ${MAX_ROUNDS} rounds: ${canonicalJson(last)}; errors: ${errors.join(" | ")}`,
      );
    }

    /** The reconciler's loop for a deleted resource: delete until the provider says gone. */
    async function reconcileDeletion(s: Subject<F, A>): Promise<Managed<F, A>> {
      const deleting: Managed<F, A> = {
        ...s.mr,
        metadata: { ...s.mr.metadata, deletionTimestamp: new Date().toISOString() },
      };
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const obs = await s.client.observe(deleting);
        if (!obs.exists) return deleting;
        // The cloud is already deleting it: the engine waits, as here, without a second delete.
        if (!obs.deleting) {
          const { gone } = await s.client.delete(deleting, obs, {});
          if (gone) return deleting;
        }
        await sleep(300);
      }
      assert.fail(`${kind} ${s.externalName} was not deleted in ${MAX_ROUNDS} rounds`);
    }

    const none = (inventory: Readonly<Record<string, number>>) =>
      Object.fromEntries(Object.keys(inventory).map((k) => [k, 0]));

    it("derives the names it has always derived, so no change to a hash can orphan a cloud resource", () => {
      assert.ok(f.goldenNames.length > 0, "the fixture pins at least one name");
      for (const g of f.goldenNames) assert.equal(g.derived, g.golden, g.what);
    });

    it("reports a resource that was never created as missing, through observe and observeMany", async () => {
      const s = await subject(NEVER_CREATED);
      const mark = proxy.mark();
      const one = await s.client.observe(s.mr);
      assert.equal(one.exists, false);
      if (s.client.observeMany) {
        const many = await s.client.observeMany([s.mr]);
        assert.equal(many.get(s.externalName)?.exists, false);
      }
      assert.ok(proxy.callsSince(mark).length > 0, "the provider asked the cloud");
      assert.deepEqual(
        proxy.callsSince(mark, (c) => c.mutating),
        [],
      );
      assert.deepEqual(await f.inventory(s.externalName, aws()), none(f.expectedInventory));
    });

    it("creates one cloud resource, and a second create finds it instead of making another", async () => {
      const s = await subject(CREATED);
      const { obs } = await reconcile(s);
      assert.equal(obs.exists, true);
      assert.deepEqual(obs.drift, []);
      await s.client.create(s.mr);
      assert.deepEqual(await f.inventory(s.externalName, aws()), f.expectedInventory);
    });

    f.createActions.forEach((action, i) => {
      it(`creates exactly one of everything when the answer to ${action} is lost after the emulator applied it`, async () => {
        const s = await subject(`dropped-${i}`);
        const before = proxy.stats().callsByAction[action] ?? 0;
        const rule = proxy.inject({ action, fault: "dropAfterApply" });
        const { obs, errors } = await reconcile(s);
        assert.equal(rule.hits, 1, `the proxy dropped the answer to ${action}`);
        const sent = (proxy.stats().callsByAction[action] ?? 0) - before;
        const inventory = await f.inventory(s.externalName, aws());
        console.log(
          `[conformance] ${kind}: answer to ${action} dropped; ${action} sent ${sent}x; ` +
            `cloud holds ${JSON.stringify(inventory)}; transient errors: ${errors.length}`,
        );
        assert.deepEqual(inventory, f.expectedInventory);
        assert.equal(obs.exists, true);
        assert.deepEqual(obs.drift, []);
      });
    });

    it("observes with reads only: observe and observeMany make no mutating call", async () => {
      const existing = made.filter((s) => s.name !== NEVER_CREATED);
      assert.ok(existing.length > 0, "resources exist to observe");
      const mark = proxy.mark();
      for (const s of existing) await s.client.observe(s.mr);
      const client = existing[0]!.client;
      if (client.observeMany) await client.observeMany(existing.map((s) => s.mr));
      assert.ok(proxy.callsSince(mark).length > 0, "the provider asked the cloud");
      assert.deepEqual(
        proxy.callsSince(mark, (c) => c.mutating).map((c) => c.action),
        [],
      );
    });

    it("gives the same observation through observeMany as through observe, resource by resource", async (t) => {
      const subjects = made.filter((s) => s.name !== NEVER_CREATED).slice(0, 3);
      subjects.push(made.find((s) => s.name === NEVER_CREATED)!);
      const client = subjects[0]!.client;
      if (!client.observeMany) {
        t.skip(`${kind} has no observeMany: its sweeps observe one resource at a time`);
        console.log(`[conformance] SKIPPED: ${kind} has no observeMany`);
        return;
      }
      const many = await client.observeMany(subjects.map((s) => s.mr));
      assert.equal(many.size, subjects.length);
      for (const s of subjects) {
        const batched = many.get(s.externalName);
        assert.ok(batched, `observeMany has ${s.externalName}`);
        assert.equal(canonicalJson(batched), canonicalJson(await s.client.observe(s.mr)), s.externalName);
      }
    });

    it("reports a second cloud resource carrying this resource's identity, and removes the extra one", async () => {
      const s = await subject("duplicated");
      await reconcile(s);
      const outcome = await f.makeDuplicate(s.externalName, aws());
      if (outcome === "refused") {
        console.log(`[conformance] ${kind}: the emulator refuses a second resource named ${s.externalName}`);
        assert.deepEqual(await f.inventory(s.externalName, aws()), f.expectedInventory);
        return;
      }
      const doubled = await f.inventory(s.externalName, aws());
      assert.notDeepEqual(doubled, f.expectedInventory, "the fixture made a duplicate");
      const mark = proxy.mark();
      const obs = await s.client.observe(s.mr);
      assert.deepEqual(
        proxy.callsSince(mark, (c) => c.mutating),
        [],
        "observe only reports it",
      );
      assert.ok(obs.drift.length > 0, "the duplicate is reported as drift");
      console.log(`[conformance] ${kind}: duplicate reported as ${canonicalJson(obs.drift)}`);
      const { obs: settled } = await reconcile(s);
      assert.deepEqual(settled.drift, []);
      assert.deepEqual(await f.inventory(s.externalName, aws()), f.expectedInventory);
      assert.equal(arnOf(settled), arnOf(obs), "the one first observed is kept");
    });

    it("deletes idempotently: once the resource is gone, another delete succeeds and changes nothing", async () => {
      const s = made.find((x) => x.name === CREATED)!;
      const deleting = await reconcileDeletion(s);
      assert.deepEqual(await f.inventory(s.externalName, aws()), none(f.expectedInventory));
      const obs = await s.client.observe(deleting);
      assert.equal(obs.exists, false);
      const mark = proxy.mark();
      await s.client.delete(deleting, obs, {});
      assert.deepEqual(await f.inventory(s.externalName, aws()), none(f.expectedInventory));
      assert.deepEqual(
        proxy.callsSince(mark, (c) => c.mutating && c.action.startsWith("Create")),
        [],
        "a second delete creates nothing",
      );
    });
  });
}
