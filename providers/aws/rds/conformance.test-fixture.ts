// Test support, not production code: the SqlInstance's entry in the provider conformance suite
// (test/support/conformance.ts, run by test/e2e/conformance.test.ts against moto).
import {
  CreateDBInstanceCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import {
  SqlInstanceKind,
  type SqlInstanceObservation,
  type SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import {
  type ConformanceFixture,
  type EmulatorAccess,
  withClient,
} from "../../../test/support/conformance.ts";
import { sqlInstanceProvider } from "./index.ts";
import { deriveIdentifier } from "./mapping.ts";

const withRds = <T>(aws: EmulatorAccess, fn: (c: RDSClient) => Promise<T>) =>
  withClient(new RDSClient(aws), fn);

async function instancesNamed(c: RDSClient, id: string): Promise<DBInstance[]> {
  const out = await c.send(
    new DescribeDBInstancesCommand({ Filters: [{ Name: "db-instance-id", Values: [id] }] }),
  );
  return out.DBInstances ?? [];
}

export const sqlInstanceConformance: ConformanceFixture<SqlInstanceParameters, SqlInstanceObservation> = {
  def: SqlInstanceKind,
  provider: sqlInstanceProvider,
  spec: () => ({
    forProvider: {
      engine: "postgres",
      engineVersion: "16.4",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "setpoint",
      dbName: "app",
    },
  }),
  createActions: ["CreateDBInstance"],
  expectedInventory: { dbInstances: 1 },
  inventory: (id, aws) => withRds(aws, async (c) => ({ dbInstances: (await instancesNamed(c, id)).length })),
  makeDuplicate: (id, aws) =>
    withRds(aws, async (c) => {
      const [inst] = await instancesNamed(c, id);
      if (!inst) throw new Error(`no DB instance ${id} to duplicate`);
      try {
        await c.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: id,
            Engine: inst.Engine,
            DBInstanceClass: inst.DBInstanceClass,
            AllocatedStorage: inst.AllocatedStorage,
            MasterUsername: inst.MasterUsername,
            MasterUserPassword: "duplicate-password-1",
            Tags: inst.TagList,
          }),
        );
      } catch (err) {
        if (/DBInstanceAlreadyExists/.test(String((err as { name?: string }).name))) return "refused";
        throw err;
      }
      return "made";
    }),
  goldenNames: [
    ["team-a", "orders-db", "team-a-orders-db"],
    ["Team_A", "Orders.DB", "team-a-orders-db-62f6c9ad"],
    ["1ns", "db", "r-1ns-db-68405ef0"],
    ["a".repeat(63), "a".repeat(63), `${"a".repeat(54)}-73314bac`],
  ].map(([ns = "", name = "", golden = ""]) => ({
    what: `DB instance identifier of ${ns.slice(0, 20)}/${name.slice(0, 20)}`,
    derived: deriveIdentifier(ns, name),
    golden,
  })),
};
