import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "./api/index.ts";
import { CachedKubeAccess } from "./cached-kube-access.ts";
import type { SecretVersionSource } from "./kube/secret-versions.ts";
import type { KubeAccess, SecretData } from "./provider.ts";

/** The apiserver's Secrets, as a map; counts reads. */
class SecretsInMemory implements KubeAccess {
  readonly secrets = new Map<string, SecretData>();
  reads = 0;
  #rv = 100;

  put(key: string, data: Record<string, string>): string {
    const resourceVersion = String(++this.#rv);
    this.secrets.set(key, { resourceVersion, data });
    return resourceVersion;
  }

  async getSecret(namespace: string, name: string): Promise<SecretData | undefined> {
    this.reads++;
    return this.secrets.get(`${namespace}/${name}`);
  }

  async applySecret(owner: Managed, name: string, data: Record<string, string>): Promise<void> {
    this.put(`${owner.metadata.namespace}/${name}`, data);
  }

  async getClusterObject(): Promise<undefined> {
    return undefined;
  }
}

/** What a metadata watch would report; `lag` keeps it behind the store, as a real watch can be. */
class Versions implements SecretVersionSource {
  readonly #store: SecretsInMemory;
  readonly #listeners = new Set<(key: string, version: string | undefined) => void>();
  readonly seen = new Map<string, string>();
  namespaces = new Set(["team"]);

  constructor(store: SecretsInMemory) {
    this.#store = store;
  }

  /** The watch catches up with the store and tells its listeners. */
  sync(): void {
    for (const [key, s] of this.#store.secrets) {
      if (this.seen.get(key) === s.resourceVersion) continue;
      this.seen.set(key, s.resourceVersion);
      for (const l of this.#listeners) l(key, s.resourceVersion);
    }
    for (const key of [...this.seen.keys()]) {
      if (this.#store.secrets.has(key)) continue;
      this.seen.delete(key);
      for (const l of this.#listeners) l(key, undefined);
    }
  }

  covers(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  versionOf(namespace: string, name: string): string | undefined {
    return this.seen.get(`${namespace}/${name}`);
  }

  onChange(listener: (key: string, version: string | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function setup(now = () => 0) {
  const store = new SecretsInMemory();
  const versions = new Versions(store);
  const kube = new CachedKubeAccess(store, {
    watched: () => undefined,
    secretVersions: versions,
    now,
  });
  return { store, versions, kube };
}

const owner = { metadata: { namespace: "team", name: "db" } } as Managed;

describe("Secrets read through the version watch", () => {
  it("are read from the apiserver once, however many polls ask, while their version stands", async () => {
    const { store, versions, kube } = setup();
    store.put("team/pw", { password: "a" });
    versions.sync();
    for (let i = 0; i < 5; i++) assert.equal((await kube.getSecret("team", "pw"))?.data.password, "a");
    assert.equal(store.reads, 1);
  });

  it("are read again when the watch reports a new version, so a rotated password is seen at the next poll", async () => {
    const { store, versions, kube } = setup();
    store.put("team/pw", { password: "a" });
    versions.sync();
    await kube.getSecret("team", "pw");
    store.put("team/pw", { password: "b" });
    versions.sync();
    assert.equal((await kube.getSecret("team", "pw"))?.data.password, "b");
    assert.equal(store.reads, 2);
  });

  it("that the watch has never seen do not exist, and cost no read", async () => {
    const { store, kube } = setup();
    assert.equal(await kube.getSecret("team", "missing"), undefined);
    assert.equal(store.reads, 0);
  });

  it("that were deleted are forgotten when the watch says so", async () => {
    const { store, versions, kube } = setup();
    store.put("team/pw", { password: "a" });
    versions.sync();
    await kube.getSecret("team", "pw");
    store.secrets.delete("team/pw");
    versions.sync();
    assert.equal(await kube.getSecret("team", "pw"), undefined);
    assert.equal(store.reads, 1);
  });

  it("are read back right after our own write, before the watch has seen it, and not again once it has", async () => {
    const { store, versions, kube } = setup();
    await kube.applySecret(owner, "generated", { password: "g" });
    assert.equal((await kube.getSecret("team", "generated"))?.data.password, "g");
    assert.equal((await kube.getSecret("team", "generated"))?.data.password, "g");
    assert.equal(store.reads, 1);
    versions.sync();
    await kube.getSecret("team", "generated");
    assert.equal(store.reads, 1);
  });

  it("are read afresh after our write even when the watch already knew an older version", async () => {
    const { store, versions, kube } = setup();
    store.put("team/pw", { password: "old" });
    versions.sync();
    await kube.getSecret("team", "pw");
    await kube.applySecret(owner, "pw", { password: "new" });
    assert.equal((await kube.getSecret("team", "pw"))?.data.password, "new");
  });

  it("outside the namespaces the watch covers come from the short-lived cache instead", async () => {
    let now = 0;
    const { store, kube } = setup(() => now);
    store.put("other/creds", { key: "k" });
    await kube.getSecret("other", "creds");
    await kube.getSecret("other", "creds");
    assert.equal(store.reads, 1);
    now = 6000;
    await kube.getSecret("other", "creds");
    assert.equal(store.reads, 2);
    assert.deepEqual(kube.stats, { secretReads: 2, secretHits: 1 });
  });
});
