import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { withPooledConnections } from "./pooled-connections.ts";

function kubeConfig(server = "https://127.0.0.1:6443"): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: "c", server, skipTLSVerify: false, caData: Buffer.from("not a real CA").toString("base64") },
    ],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "ctx", cluster: "c", user: "u" }],
    currentContext: "ctx",
  });
  return kc;
}

type Create = (cluster: unknown, agentOptions: unknown) => unknown;
const dispatcherOf = (kc: KubeConfig, ca: string) =>
  (kc as unknown as { createDispatcher: Create }).createDispatcher(kc.getCurrentCluster(), { ca });

describe("pooled API server connections", () => {
  it("client-node alone builds a new dispatcher per request, which is why this exists", () => {
    const kc = kubeConfig();
    assert.notEqual(dispatcherOf(kc, "ca"), dispatcherOf(kc, "ca"));
  });

  it("a pooled KubeConfig reuses one dispatcher for the same connection options", () => {
    const kc = withPooledConnections(kubeConfig());
    const first = dispatcherOf(kc, "ca");
    assert.ok(first);
    assert.equal(dispatcherOf(kc, "ca"), first);
  });

  it("different connection options (e.g. a rotated CA) get their own dispatcher", () => {
    const kc = withPooledConnections(kubeConfig());
    assert.notEqual(dispatcherOf(kc, "ca-1"), dispatcherOf(kc, "ca-2"));
  });

  it("wrapping twice is harmless", () => {
    const kc = kubeConfig();
    assert.equal(withPooledConnections(withPooledConnections(kc)), kc);
    assert.equal(dispatcherOf(kc, "ca"), dispatcherOf(kc, "ca"));
  });
});
