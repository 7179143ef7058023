import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IpPermission } from "@aws-sdk/client-ec2";
import type { SecurityGroupRule } from "../../../apis/aws/v1alpha1/securitygroup.ts";
import {
  compareRules,
  DEFAULT_EGRESS,
  flattenObserved,
  flattenSpec,
  ruleKey,
  toIpPermissions,
} from "./rules.ts";

const keys = (direction: "ingress" | "egress", rules: SecurityGroupRule[]) =>
  flattenSpec(rules).map((r) => ruleKey(direction, r));

describe("a security group rule's identity", () => {
  const cases: { name: string; rule: SecurityGroupRule; direction?: "ingress" | "egress"; want: string[] }[] =
    [
      {
        name: "a tcp port from a group",
        rule: { protocol: "tcp", fromPort: 5432, securityGroupIds: ["sg-0abc"] },
        want: ["tcp/5432 from sg-0abc"],
      },
      {
        name: "a port range from IPv4 and IPv6 ranges, one rule per peer",
        rule: {
          protocol: "udp",
          fromPort: 8000,
          toPort: 8080,
          cidrBlocks: ["10.0.0.0/8"],
          ipv6CidrBlocks: ["::/0"],
        },
        want: ["udp/8000-8080 from 10.0.0.0/8", "udp/8000-8080 from ::/0"],
      },
      {
        name: "every protocol, written -1, to anywhere",
        rule: { protocol: "-1", cidrBlocks: ["0.0.0.0/0"] },
        direction: "egress",
        want: ["all to 0.0.0.0/0"],
      },
      {
        name: "every protocol, written all, the same rule as -1",
        rule: { protocol: "all", cidrBlocks: ["0.0.0.0/0"] },
        direction: "egress",
        want: ["all to 0.0.0.0/0"],
      },
      {
        name: "an ICMP type with any code",
        rule: { protocol: "icmp", fromPort: 8, cidrBlocks: ["10.0.0.0/8"] },
        want: ["icmp/8 from 10.0.0.0/8"],
      },
      {
        name: "every ICMP type",
        rule: { protocol: "icmp", cidrBlocks: ["10.0.0.0/8"] },
        want: ["icmp/all from 10.0.0.0/8"],
      },
      {
        name: "an upper-case IPv6 range, in lower case",
        rule: { protocol: "tcp", fromPort: 443, ipv6CidrBlocks: ["2001:DB8::/32"] },
        want: ["tcp/443 from 2001:db8::/32"],
      },
    ];
  for (const c of cases) {
    it(`names ${c.name} as ${c.want.join(" and ")}`, () => {
      assert.deepEqual(keys(c.direction ?? "ingress", [c.rule]), c.want);
    });
  }

  it("reads EC2's own spelling of a rule (protocol numbers, -1 with ports) as the spec's", () => {
    const observed: IpPermission[] = [
      { IpProtocol: "6", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] },
      { IpProtocol: "-1", FromPort: -1, ToPort: -1, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    ];
    assert.deepEqual(
      flattenObserved(observed).map((r) => ruleKey("ingress", r)),
      ["tcp/22 from 10.0.0.0/8", "all from 0.0.0.0/0"],
    );
  });
});

describe("comparing a group's rules with the spec", () => {
  const spec: SecurityGroupRule[] = [{ protocol: "tcp", fromPort: 5432, cidrBlocks: ["10.42.0.0/16"] }];

  it("finds nothing to do when EC2 holds exactly the spec's rules", () => {
    const observed = toIpPermissions(flattenSpec(spec), true);
    const { drift, changes } = compareRules("ingress", flattenSpec(spec), flattenObserved(observed));
    assert.deepEqual(drift, []);
    assert.deepEqual(changes, { authorize: [], revoke: [], describe: [] });
  });

  it("reports a rule added out of band by its path and revokes it", () => {
    const observed: IpPermission[] = [
      ...toIpPermissions(flattenSpec(spec), false),
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    ];
    const { drift, changes } = compareRules("ingress", flattenSpec(spec), flattenObserved(observed));
    assert.deepEqual(drift, [
      { path: "forProvider.ingress[tcp/22 from 0.0.0.0/0]", desired: undefined, observed: "present" },
    ]);
    assert.deepEqual(toIpPermissions(changes.revoke, false), [
      { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
    ]);
    assert.deepEqual(changes.authorize, []);
  });

  it("reports a rule deleted out of band by its path and authorizes it again", () => {
    const { drift, changes } = compareRules("ingress", flattenSpec(spec), []);
    assert.deepEqual(drift, [
      { path: "forProvider.ingress[tcp/5432 from 10.42.0.0/16]", desired: "present", observed: undefined },
    ]);
    assert.deepEqual(toIpPermissions(changes.authorize, true), [
      { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: "10.42.0.0/16" }] },
    ]);
  });

  it("rewrites a description the spec gives, and leaves one it does not give alone", () => {
    const described: SecurityGroupRule[] = [{ ...spec[0]!, description: "postgres" }];
    const observed: IpPermission[] = [
      {
        IpProtocol: "tcp",
        FromPort: 5432,
        ToPort: 5432,
        IpRanges: [{ CidrIp: "10.42.0.0/16", Description: "x" }],
      },
    ];
    const withDesc = compareRules("ingress", flattenSpec(described), flattenObserved(observed));
    assert.deepEqual(
      withDesc.drift.map((d) => d.path),
      ["forProvider.ingress[tcp/5432 from 10.42.0.0/16].description"],
    );
    assert.equal(withDesc.changes.describe.length, 1);
    assert.deepEqual(compareRules("ingress", flattenSpec(spec), flattenObserved(observed)).drift, []);
  });

  it("revokes AWS's default egress rule when the spec lists other egress rules, and keeps it for an absent egress", () => {
    const defaults = flattenSpec(DEFAULT_EGRESS);
    const https: SecurityGroupRule[] = [{ protocol: "tcp", fromPort: 443, cidrBlocks: ["0.0.0.0/0"] }];
    const given = compareRules("egress", flattenSpec(https), defaults);
    assert.deepEqual(given.drift.map((d) => d.path).sort(), [
      "forProvider.egress[all to 0.0.0.0/0]",
      "forProvider.egress[tcp/443 to 0.0.0.0/0]",
    ]);
    assert.deepEqual(compareRules("egress", defaults, defaults).drift, []);
  });

  it("groups rules of one protocol and port range into one IpPermission for one call", () => {
    const perms = toIpPermissions(
      flattenSpec([
        { protocol: "tcp", fromPort: 443, cidrBlocks: ["10.0.0.0/8"], securityGroupIds: ["sg-1"] },
        { protocol: "tcp", fromPort: 443, ipv6CidrBlocks: ["::/0"] },
      ]),
      false,
    );
    assert.deepEqual(perms, [
      {
        IpProtocol: "tcp",
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: "10.0.0.0/8" }],
        UserIdGroupPairs: [{ GroupId: "sg-1" }],
        Ipv6Ranges: [{ CidrIpv6: "::/0" }],
      },
    ]);
  });
});
