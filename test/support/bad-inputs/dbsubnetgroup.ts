// Bad DBSubnetGroups: the group's fields, the limits RDS documents for them,
// and groups RDS refuses or that already exist. A table, one entry per bad
// input.
import { CreateDBSubnetGroupCommand } from "@aws-sdk/client-rds";
import { SEED_SUBNET_IDS } from "../env.ts";
import { answered, type Entry, type Json, rejected, tags, withForProvider } from "./catalogue.ts";
import { managedEntries } from "./managed.ts";

export const DSG_BASE: Json = {
  forProvider: { description: "catalogue subnets", subnetIds: [...SEED_SUBNET_IDS] },
};

const FP = "spec.forProvider";

type Category = Parameters<typeof rejected>[0]["category"];

function bad(name: string, category: Category, patch: Json, field: string, message: string | RegExp): Entry {
  return rejected({
    name: `a DBSubnetGroup with ${name}`,
    kind: "DBSubnetGroup",
    category,
    spec: withForProvider(DSG_BASE, patch),
    expect: { field: `${FP}.${field}`, message },
  });
}

export const DB_SUBNET_GROUP_ENTRIES: Entry[] = [
  ...managedEntries("DBSubnetGroup", DSG_BASE, {
    value: "default",
    why: /external-name is "default", which cannot name a DBSubnetGroup in the cloud: RDS reserves "default"/,
  }),
  bad("no subnets", "out of range", { subnetIds: [] }, "subnetIds", /at least 1 item/),
  bad("subnetIds as a string", "wrong type", { subnetIds: "subnet-1" }, "subnetIds", "must be of type array"),
  bad(
    "subnet_1, not a subnet ID",
    "name AWS refuses",
    { subnetIds: ["subnet_1"] },
    "subnetIds[0]",
    "should match",
  ),
  bad(
    "the same subnet twice",
    "cross-field rule",
    { subnetIds: [SEED_SUBNET_IDS[0], SEED_SUBNET_IDS[0]] },
    "subnetIds[1]",
    "Duplicate value",
  ),
  bad(
    "21 subnets, over RDS's limit of 20",
    "AWS limit",
    { subnetIds: Array.from({ length: 21 }, (_, i) => `subnet-${(i + 1).toString(16).padStart(8, "0")}`) },
    "subnetIds",
    /must have at most 20 items|Too many/,
  ),
  bad("no description", "wrong type", { description: undefined }, "description", "Required value"),
  bad("an empty description", "empty or huge string", { description: "" }, "description", /at least 1 chars/),
  bad(
    "a 256-character description, one more than RDS allows",
    "empty or huge string",
    { description: "d".repeat(256) },
    "description",
    /Too long|at most 255/,
  ),
  bad("49 tags", "AWS limit", { tags: tags(49) }, "tags", /must have at most 48 items|Too many/),
  bad(
    "a tag value with a character AWS refuses",
    "name AWS refuses",
    { tags: { team: "a<b>" } },
    "tags",
    "tag keys and values may contain only letters",
  ),
  rejected({
    name: "a DBSubnetGroup with an unknown field in forProvider (subnets, for subnetIds)",
    kind: "DBSubnetGroup",
    category: "unknown field",
    spec: withForProvider(DSG_BASE, { subnets: [...SEED_SUBNET_IDS] }),
    strict: true,
    expect: { field: `${FP}.subnets`, message: "unknown field" },
  }),
  answered({
    name: "a DBSubnetGroup naming a subnet that does not exist",
    kind: "DBSubnetGroup",
    category: "cloud refusal",
    resource: (c) => ({
      kind: "DBSubnetGroup",
      spec: withForProvider(
        { ...DSG_BASE, providerConfigRef: { name: c.providerConfig } },
        { subnetIds: ["subnet-0123456789abcdef0"] },
      ),
    }),
    expect: {
      reason: "ReconcileTerminal",
      message: /^cannot create external resource: .*subnet-0123456789abcdef0/,
      event: "CannotCreateExternalResource",
      maxCloudCalls: 3,
    },
  }),
  answered({
    name: "a DBSubnetGroup whose external-name is an existing group without setpoint's tags (adoption Forbid)",
    kind: "DBSubnetGroup",
    category: "ownership",
    resource: (c) => ({
      kind: "DBSubnetGroup",
      spec: { ...DSG_BASE, providerConfigRef: { name: c.providerConfig } },
      annotations: { "setpoint.dev/external-name": `${c.name}-legacy` },
    }),
    inCloud: async (c) => {
      await c.rds.send(
        new CreateDBSubnetGroupCommand({
          DBSubnetGroupName: `${c.name}-legacy`,
          DBSubnetGroupDescription: "made by hand",
          SubnetIds: [...SEED_SUBNET_IDS],
        }),
      );
    },
    expect: {
      reason: "ReconcileTerminal",
      message:
        /AdoptionNotAllowed: DBSubnetGroup .*-legacy already exists in the cloud and carries no setpoint owner tags/,
      event: "CannotManageExternalResource",
      maxCloudCalls: 4,
    },
  }),
];
