// Test support, not production code: the LoadBalancer's entry in the provider conformance suite
// (test/support/conformance.ts, run by test/e2e/conformance.test.ts against moto).
import {
  CreateLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  type LoadBalancerAtProvider,
  type LoadBalancerForProvider,
  LoadBalancerKind,
} from "../../../apis/aws/v1alpha1/loadbalancer.ts";
import { SEED_SECURITY_GROUP_ID, SEED_SUBNET_IDS } from "../../../localstack/seed.ts";
import {
  type ConformanceFixture,
  type EmulatorAccess,
  withClient,
} from "../../../test/support/conformance.ts";
import { loadBalancerProvider } from "./index.ts";
import { deriveLoadBalancerName, targetGroupAwsName } from "./names.ts";

const TARGET_GROUP = "web";

const isNotFound = (err: unknown) => /NotFound/.test(String((err as { name?: string }).name));

const withElbv2 = <T>(aws: EmulatorAccess, fn: (c: ElasticLoadBalancingV2Client) => Promise<T>) =>
  withClient(new ElasticLoadBalancingV2Client(aws), fn);

/**
 * Every load balancer of that name. Listed, not looked up by name: moto, unlike AWS, lets two
 * load balancers share a name, and DescribeLoadBalancers({ Names }) then shows only the newest.
 */
async function loadBalancersNamed(c: ElasticLoadBalancingV2Client, name: string): Promise<LoadBalancer[]> {
  const found: LoadBalancer[] = [];
  let marker: string | undefined;
  do {
    const out = await c.send(
      new DescribeLoadBalancersCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) }),
    );
    found.push(...(out.LoadBalancers ?? []).filter((lb) => lb.LoadBalancerName === name));
    marker = out.NextMarker;
  } while (marker);
  return found;
}

export const loadBalancerConformance: ConformanceFixture<LoadBalancerForProvider, LoadBalancerAtProvider> = {
  def: LoadBalancerKind,
  provider: loadBalancerProvider,
  spec: () => ({
    forProvider: {
      type: "application",
      scheme: "internet-facing",
      subnets: [...SEED_SUBNET_IDS],
      securityGroups: [SEED_SECURITY_GROUP_ID],
      attributes: { "idle_timeout.timeout_seconds": "60" },
      targetGroups: [{ name: TARGET_GROUP, protocol: "HTTP", port: 8080, healthCheck: { path: "/healthz" } }],
      listeners: [
        { port: 80, protocol: "HTTP", defaultAction: { type: "forward", targetGroupName: TARGET_GROUP } },
      ],
    },
  }),
  createActions: ["CreateLoadBalancer", "CreateTargetGroup", "CreateListener"],
  expectedInventory: { loadBalancers: 1, targetGroups: 1, listeners: 1 },
  inventory: (name, aws) =>
    withElbv2(aws, async (c) => {
      const lbs = await loadBalancersNamed(c, name);
      let targetGroups = 0;
      try {
        const out = await c.send(
          new DescribeTargetGroupsCommand({ Names: [targetGroupAwsName(name, TARGET_GROUP)] }),
        );
        targetGroups = out.TargetGroups?.length ?? 0;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      let listeners = 0;
      for (const lb of lbs) {
        const out = await c.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
        listeners += out.Listeners?.length ?? 0;
      }
      return { loadBalancers: lbs.length, targetGroups, listeners };
    }),
  makeDuplicate: (name, aws) =>
    withElbv2(aws, async (c) => {
      const [lb] = await loadBalancersNamed(c, name);
      if (!lb) throw new Error(`no load balancer ${name} to duplicate`);
      const tags = await c.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!] }));
      try {
        // What a re-sent CreateLoadBalancer does in moto: the same name, settings and owner tags.
        await c.send(
          new CreateLoadBalancerCommand({
            Name: name,
            Type: lb.Type,
            Scheme: lb.Scheme,
            Subnets: (lb.AvailabilityZones ?? []).map((az) => az.SubnetId!),
            SecurityGroups: lb.SecurityGroups,
            Tags: tags.TagDescriptions?.[0]?.Tags,
          }),
        );
      } catch (err) {
        if (/DuplicateLoadBalancerName/.test(String((err as { name?: string }).name))) return "refused";
        throw err;
      }
      return "made";
    }),
  goldenNames: [
    ["team-a", "web", "team-a-web-a6d68893", "team-a-web-a6d68893-web-a52f353e"],
    ["default", "api.v2", "default-api-v2-95e99ce9", "default-api-v2-95e9-web-0e67ccb3"],
    ["internal", "web", "lb-internal-web-7be7ede0", "lb-internal-web-7be-web-06b41b90"],
    [
      "platform-prod",
      "checkout-frontend",
      "platform-prod-checkout-3471390c",
      "platform-prod-check-web-5e6015e8",
    ],
    ["a".repeat(63), "a".repeat(63), "aaaaaaaaaaaaaaaaaaaaaaa-73314bac", "aaaaaaaaaaaaaaaaaaa-web-6e6395cf"],
  ].flatMap(([ns = "", name = "", lb = "", tg = ""]) => [
    {
      what: `load balancer of ${ns.slice(0, 20)}/${name.slice(0, 20)}`,
      derived: deriveLoadBalancerName(ns, name),
      golden: lb,
    },
    { what: `target group "web" of ${lb}`, derived: targetGroupAwsName(lb, "web"), golden: tg },
  ]),
};
