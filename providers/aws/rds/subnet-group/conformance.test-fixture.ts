// Test support, not production code: the DBSubnetGroup's entry in the provider conformance suite
// (test/support/conformance.ts, run by test/e2e/conformance.test.ts against moto).
import { CreateDBSubnetGroupCommand, DescribeDBSubnetGroupsCommand, RDSClient } from "@aws-sdk/client-rds";
import {
  DBSubnetGroupKind,
  type DBSubnetGroupObservation,
  type DBSubnetGroupParameters,
} from "../../../../apis/aws/v1alpha1/dbsubnetgroup.ts";
import { SEED_SUBNET_IDS } from "../../../../localstack/seed.ts";
import {
  type ConformanceFixture,
  type EmulatorAccess,
  withClient,
} from "../../../../test/support/conformance.ts";
import { dbSubnetGroupProvider, deriveSubnetGroupName } from "./index.ts";

const withRds = <T>(aws: EmulatorAccess, fn: (c: RDSClient) => Promise<T>) =>
  withClient(new RDSClient(aws), fn);

async function countNamed(c: RDSClient, name: string): Promise<number> {
  try {
    const out = await c.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }));
    return out.DBSubnetGroups?.length ?? 0;
  } catch (err) {
    if (/DBSubnetGroupNotFound/.test(String((err as { name?: string }).name))) return 0;
    throw err;
  }
}

export const dbSubnetGroupConformance: ConformanceFixture<DBSubnetGroupParameters, DBSubnetGroupObservation> =
  {
    def: DBSubnetGroupKind,
    provider: dbSubnetGroupProvider,
    spec: () => ({ forProvider: { description: "conformance", subnetIds: [...SEED_SUBNET_IDS] } }),
    createActions: ["CreateDBSubnetGroup"],
    expectedInventory: { dbSubnetGroups: 1 },
    inventory: (name, aws) => withRds(aws, async (c) => ({ dbSubnetGroups: await countNamed(c, name) })),
    makeDuplicate: (name, aws) =>
      withRds(aws, async (c) => {
        try {
          await c.send(
            new CreateDBSubnetGroupCommand({
              DBSubnetGroupName: name,
              DBSubnetGroupDescription: "duplicate",
              SubnetIds: [...SEED_SUBNET_IDS],
            }),
          );
        } catch (err) {
          if (/DBSubnetGroupAlreadyExists/.test(String((err as { name?: string }).name))) return "refused";
          throw err;
        }
        // AWS answers DBSubnetGroupAlreadyExists. moto answers success and replaces the group in
        // place: it still holds one group of that name, so the cloud refused a second all the same.
        return (await countNamed(c, name)) > 1 ? "made" : "refused";
      }),
    goldenNames: [
      ["team-a", "orders-net", "team-a-orders-net"],
      ["n".repeat(63), "a".repeat(253), `${"n".repeat(63)}-${"a".repeat(182)}-54001513`],
    ].map(([ns = "", name = "", golden = ""]) => ({
      what: `DB subnet group name of ${ns.slice(0, 20)}/${name.slice(0, 20)}`,
      derived: deriveSubnetGroupName(ns, name),
      golden,
    })),
  };
