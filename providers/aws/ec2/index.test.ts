import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IpPermission, SecurityGroup } from "@aws-sdk/client-ec2";
import type {
  SecurityGroupObservation,
  SecurityGroupParameters,
} from "../../../apis/aws/v1alpha1/securitygroup.ts";
import { Annotations, type Managed, Tags } from "../../../controller/api/index.ts";
import { type Ec2Api, groupKey } from "./client.ts";
import { SecurityGroupClient } from "./index.ts";
import type { Direction } from "./rules.ts";

const VPC = "vpc-1";

/** An EC2 that records every call, with one group per name. */
function fakeEc2(groups: SecurityGroup[] = []) {
  const calls: string[] = [];
  const api: Ec2Api = {
    async describeByName(vpcs, names) {
      calls.push(`describe ${names.join(",")}`);
      return new Map(
        groups
          .filter((g) => vpcs.includes(g.VpcId ?? "") && names.includes(g.GroupName ?? ""))
          .map((g) => [groupKey(g.VpcId ?? "", g.GroupName ?? ""), g]),
      );
    },
    async create({ name }) {
      calls.push(`create ${name}`);
      return "sg-new";
    },
    async authorize(d: Direction, id: string, perms: IpPermission[]) {
      if (perms.length) calls.push(`authorize ${d} ${id} ${JSON.stringify(perms)}`);
    },
    async revoke(d: Direction, id: string, perms: IpPermission[]) {
      if (perms.length) calls.push(`revoke ${d} ${id} ${JSON.stringify(perms)}`);
    },
    async updateDescriptions(d: Direction, id: string, perms: IpPermission[]) {
      if (perms.length) calls.push(`describe-rules ${d} ${id}`);
    },
    async addTags(id, tags) {
      calls.push(`tag ${id} ${Object.keys(tags).join(",")}`);
    },
    async removeTags(id, keys) {
      calls.push(`untag ${id} ${keys.join(",")}`);
    },
    async delete(id) {
      calls.push(`delete ${id}`);
      return true;
    },
  };
  return { api, calls };
}

function group(
  name: string,
  fp: Partial<SecurityGroupParameters> = {},
  annotations: Record<string, string> = {},
) {
  const mr: Managed<SecurityGroupParameters, SecurityGroupObservation> = {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "SecurityGroup",
    metadata: { name, namespace: "team-a", uid: `uid-${name}`, annotations },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {
        vpcId: VPC,
        description: "d",
        ingress: [{ protocol: "tcp", fromPort: 5432, cidrBlocks: ["10.0.0.0/16"] }],
        ...fp,
      },
    },
  };
  return mr;
}

const tcp = (port: number, cidr: string): IpPermission => ({
  IpProtocol: "tcp",
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: cidr }],
});

describe("the SecurityGroup provider", () => {
  it("creates a group, then its rules, and revokes AWS's default egress when the spec lists other egress", async () => {
    const { api, calls } = fakeEc2();
    await new SecurityGroupClient(api).create(group("db", { egress: [] }));
    assert.deepEqual(calls, [
      "create team-a-db",
      `authorize ingress sg-new ${JSON.stringify([tcp(5432, "10.0.0.0/16")])}`,
      `revoke egress sg-new ${JSON.stringify([{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }])}`,
    ]);
  });

  it("authorizes a missing rule before it revokes an extra one, so allowed traffic is never cut", async () => {
    const { api, calls } = fakeEc2([
      {
        GroupId: "sg-1",
        GroupName: "team-a-db",
        VpcId: VPC,
        IpPermissions: [tcp(22, "0.0.0.0/0")],
        IpPermissionsEgress: [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }],
        Tags: [
          { Key: Tags.owner, Value: "team-a/db" },
          { Key: Tags.uid, Value: "uid-db" },
        ],
      },
    ]);
    const client = new SecurityGroupClient(api);
    const mr = group("db");
    const obs = await client.observe(mr);
    assert.deepEqual(obs.ownership, { owner: "team-a/db", uid: "uid-db" });
    assert.deepEqual(
      obs.drift.map((d) => d.path),
      ["forProvider.ingress[tcp/22 from 0.0.0.0/0]", "forProvider.ingress[tcp/5432 from 10.0.0.0/16]"],
    );
    calls.length = 0;
    await client.update(mr, obs);
    assert.deepEqual(calls, [
      `authorize ingress sg-1 ${JSON.stringify([tcp(5432, "10.0.0.0/16")])}`,
      `revoke ingress sg-1 ${JSON.stringify([tcp(22, "0.0.0.0/0")])}`,
    ]);
  });

  it("leaves a resource whose external name is a group ID out of a batch, so the rest are still observed", async () => {
    const { api } = fakeEc2();
    const out = await new SecurityGroupClient(api).observeMany([
      group("ok"),
      group("bad", {}, { [Annotations.externalName]: "sg-0123" }),
    ]);
    assert.deepEqual([...out.keys()], ["team-a-ok"]);
    await assert.rejects(
      new SecurityGroupClient(api).observe(group("bad", {}, { [Annotations.externalName]: "sg-0123" })),
      {
        code: "ExternalNameIsGroupId",
      },
    );
  });
});
