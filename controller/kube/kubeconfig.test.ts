import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ClientNodeCredentials, credentialsFor, StaticCredentials, tlsKey } from "./kube-auth.ts";
import {
  inCluster,
  KubeconfigError,
  loadKubeconfig,
  needsClientNode,
  type RawKubeconfig,
  selectFromFiles,
} from "./kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "setpoint-kubeconfig-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const oneContext = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}): RawKubeconfig => ({
  clusters: [{ name: "c", cluster: { server: "https://example:6443", ...cluster } }],
  users: [{ name: "u", user }],
  contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "team" } }],
  "current-context": "ctx",
});

describe("selecting a context from kubeconfig files", () => {
  it("picks the current context's cluster, user and namespace", () => {
    const sel = selectFromFiles([{ path: "/home/a/.kube/config", doc: oneContext({ token: "t" }) }]);
    assert.equal(sel.cluster.server, "https://example:6443");
    assert.equal(sel.user.token, "t");
    assert.equal(sel.namespace, "team");
    assert.deepEqual(sel.source, { kind: "files", paths: ["/home/a/.kube/config"], context: "ctx" });
  });

  it("merges several files the way kubectl does: the first definition of a name and the first current-context win", () => {
    const first: RawKubeconfig = {
      users: [{ name: "u", user: { token: "first" } }],
      "current-context": "ctx",
    };
    const second = oneContext({ token: "second" });
    second["current-context"] = "other";
    const sel = selectFromFiles([
      { path: "/a", doc: first },
      { path: "/b", doc: second },
    ]);
    assert.equal(sel.user.token, "first");
    assert.equal(sel.source.kind === "files" && sel.source.context, "ctx");
  });

  it("resolves relative file paths against the file that names them", () => {
    const sel = selectFromFiles([
      {
        path: "/etc/kube/config",
        doc: oneContext(
          { "client-certificate": "certs/me.crt", "client-key": "/abs/me.key", tokenFile: "token" },
          { "certificate-authority": "ca.pem" },
        ),
      },
    ]);
    assert.equal(sel.cluster.caFile, "/etc/kube/ca.pem");
    assert.equal(sel.user.certFile, "/etc/kube/certs/me.crt");
    assert.equal(sel.user.keyFile, "/abs/me.key");
    assert.equal(sel.user.tokenFile, "/etc/kube/token");
  });

  const broken: [string, RawKubeconfig, RegExp][] = [
    ["no current-context", { ...oneContext({}), "current-context": "" }, /no current-context/],
    [
      "an undefined current-context",
      { ...oneContext({}), "current-context": "nope" },
      /"nope" is not defined/,
    ],
    [
      "a context whose cluster is missing",
      { ...oneContext({}), clusters: [] },
      /names cluster "c", which is missing/,
    ],
  ];
  for (const [what, doc, message] of broken) {
    it(`refuses ${what} with a message that says so`, () => {
      assert.throws(
        () => selectFromFiles([{ path: "/x", doc }]),
        (err: unknown) => {
          assert.ok(err instanceof KubeconfigError);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  const delegation: [string, Record<string, unknown>, Record<string, unknown>, boolean][] = [
    ["a bearer token", { token: "t" }, {}, false],
    ["a client certificate", { "client-certificate-data": "Y2VydA==", "client-key-data": "a2V5" }, {}, false],
    ["an exec plugin", { exec: { command: "aws" } }, {}, true],
    ["an auth provider", { "auth-provider": { name: "oidc" } }, {}, true],
    ["a proxy-url", { token: "t" }, { "proxy-url": "http://proxy:3128" }, true],
  ];
  for (const [what, user, cluster, delegated] of delegation) {
    it(`${delegated ? "hands" : "does not hand"} ${what} to client-node`, () => {
      const sel = selectFromFiles([{ path: "/x", doc: oneContext(user, cluster) }]);
      assert.equal(needsClientNode(sel), delegated);
    });
  }
});

describe("in-cluster configuration", () => {
  it("uses the service address (IPv6 in brackets), the mounted CA and token file, and the pod's namespace", () => {
    const sa = join(dir, "sa");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "namespace"), "setpoint-system\n");
    const sel = inCluster({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, sa);
    assert.equal(sel.cluster.server, "https://[fd00::1]:443");
    assert.equal(sel.cluster.caFile, join(sa, "ca.crt"));
    assert.equal(sel.user.tokenFile, join(sa, "token"));
    assert.equal(sel.namespace, "setpoint-system");
  });

  it("is chosen when there is no kubeconfig but a ServiceAccount token", async () => {
    const sa = join(dir, "sa2");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "token"), "abc");
    const sel = await loadKubeconfig({
      env: { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
      home: join(dir, "nohome"),
      serviceAccountDir: sa,
    });
    assert.equal(sel.source.kind, "in-cluster");
  });

  it("without either, fails with the ways to provide one", async () => {
    await assert.rejects(
      loadKubeconfig({ env: {}, home: join(dir, "nohome"), serviceAccountDir: join(dir, "nosa") }),
      /pass --kubeconfig, set KUBECONFIG/,
    );
  });
});

describe("loading kubeconfig files", () => {
  it("reads every file in KUBECONFIG", async () => {
    const a = join(dir, "a.yaml");
    const b = join(dir, "b.yaml");
    writeFileSync(a, "current-context: ctx\n");
    writeFileSync(
      b,
      "clusters: [{name: c, cluster: {server: 'https://b:6443'}}]\nusers: [{name: u, user: {token: tb}}]\ncontexts: [{name: ctx, context: {cluster: c, user: u}}]\n",
    );
    const sel = await loadKubeconfig({ env: { KUBECONFIG: `${a}:${b}` } });
    assert.equal(sel.cluster.server, "https://b:6443");
    assert.equal(sel.user.token, "tb");
  });

  it("names the file it cannot read", async () => {
    await assert.rejects(loadKubeconfig({ path: join(dir, "missing") }), /cannot read kubeconfig .*missing/);
  });
});

describe("credentials", () => {
  const cluster = { name: "c", server: "https://example:6443" };

  it("re-reads a token file after a minute, and at once after a 401", async () => {
    const file = join(dir, "token");
    writeFileSync(file, "one\n");
    let now = 0;
    const creds = new StaticCredentials(cluster, { name: "u", tokenFile: file }, { now: () => now });
    assert.equal((await creds.get()).headers.Authorization, "Bearer one");
    writeFileSync(file, "two");
    now = 30_000;
    assert.equal(
      (await creds.get()).headers.Authorization,
      "Bearer one",
      "within the minute the token is kept",
    );
    now = 61_000;
    assert.equal((await creds.get()).headers.Authorization, "Bearer two");
    writeFileSync(file, "three");
    creds.invalidate();
    assert.equal((await creds.get()).headers.Authorization, "Bearer three");
  });

  it("fails at start when the token file is missing", () => {
    assert.throws(
      () => new StaticCredentials(cluster, { name: "u", tokenFile: join(dir, "none") }),
      /ENOENT/,
    );
  });

  it("sends basic auth, impersonation, and the CA and client certificate as TLS material", async () => {
    const auth = await new StaticCredentials(
      { ...cluster, caData: Buffer.from("CA").toString("base64"), tlsServerName: "kube" },
      {
        name: "u",
        username: "me",
        password: "pw",
        impersonateUser: "other",
        certData: Buffer.from("CERT").toString("base64"),
        keyData: Buffer.from("KEY").toString("base64"),
      },
    ).get();
    assert.equal(auth.headers.Authorization, `Basic ${Buffer.from("me:pw").toString("base64")}`);
    assert.equal(auth.headers["Impersonate-User"], "other");
    assert.equal(auth.tls.ca?.toString(), "CA");
    assert.equal(auth.tls.cert?.toString(), "CERT");
    assert.equal(auth.tls.privateKey?.toString(), "KEY");
    assert.equal(auth.tls.servername, "kube");
    assert.equal(auth.tls.rejectUnauthorized, true);
  });

  it("gives equal TLS material the same pool key and different material another", () => {
    const base = { rejectUnauthorized: true };
    assert.equal(tlsKey({ ...base, ca: Buffer.from("a") }), tlsKey({ ...base, ca: Buffer.from("a") }));
    assert.notEqual(tlsKey({ ...base, ca: Buffer.from("a") }), tlsKey({ ...base, ca: Buffer.from("b") }));
    assert.notEqual(tlsKey(base), tlsKey({ rejectUnauthorized: false }));
  });

  it("takes static credentials without client-node, and exec plugins through it", async () => {
    assert.ok(
      (await credentialsFor({ cluster, user: { name: "u", token: "t" } })) instanceof StaticCredentials,
    );
    const exec = await credentialsFor({
      cluster,
      user: { name: "u", exec: { apiVersion: "client.authentication.k8s.io/v1", command: "true" } },
    });
    assert.ok(exec instanceof ClientNodeCredentials);
  });
});
