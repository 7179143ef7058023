import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadBalancerForProvider } from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import type { ConnectContext } from "../../../controller/provider.ts";
import { destroySharedClients } from "../shared/index.ts";
import {
  externalNameOf,
  LoadBalancerClient,
  type LoadBalancerManaged,
  loadBalancerProvider,
} from "./index.ts";
import { isValidElbName } from "./names.ts";

const ctx: ConnectContext = {
  kube: {
    getSecret: async () => undefined,
    applySecret: async () => {},
    getClusterObject: async (_v, _k, _p, name) =>
      name === "default"
        ? {
            spec: {
              region: "us-east-1",
              endpoint: "http://localhost:5066",
              credentials: { source: "Environment" },
            },
          }
        : undefined,
  },
};

function managed(name: string, annotations?: Record<string, string>): LoadBalancerManaged {
  return {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "LoadBalancer",
    metadata: { name, namespace: "team-a", uid: "u", ...(annotations ? { annotations } : {}) },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: LoadBalancerForProvider.parse({ subnets: ["subnet-01"] }),
    },
  };
}

describe("loadBalancerProvider", () => {
  it("declares an elbv2 budget below AWS's Describe* bucket (40 at 10/s)", () => {
    const elbv2 = loadBalancerProvider.services?.elbv2;
    assert.ok(elbv2 && elbv2.burst < 40 && elbv2.ratePerSecond < 10, JSON.stringify(elbv2));
  });

  it("derives a valid external name", () => {
    assert.ok(isValidElbName(loadBalancerProvider.deriveExternalName("team-a", "web")));
  });

  it("uses the external-name annotation when the user set one", () => {
    assert.equal(externalNameOf(managed("web", { "setpoint.dev/external-name": "my-alb" })), "my-alb");
    assert.equal(externalNameOf(managed("web")), loadBalancerProvider.deriveExternalName("team-a", "web"));
  });

  it("groups resources of one ProviderConfig under one connection key", async () => {
    const a = await loadBalancerProvider.connectionKey!(managed("a"), ctx);
    const b = await loadBalancerProvider.connectionKey!(managed("b"), ctx);
    assert.equal(a, b);
    assert.match(a, /us-east-1/);
  });

  it("connects without calling AWS, to a client that offers batched observation", async () => {
    const client = await loadBalancerProvider.connect(managed("a"), ctx);
    assert.ok(client instanceof LoadBalancerClient);
    assert.equal(typeof client.observeMany, "function");
    destroySharedClients();
  });

  it("fails terminally when the ProviderConfig does not exist", async () => {
    const mr = managed("a");
    mr.spec.providerConfigRef.name = "missing";
    await assert.rejects(loadBalancerProvider.connect(mr, ctx), { name: "TerminalError" });
  });
});
