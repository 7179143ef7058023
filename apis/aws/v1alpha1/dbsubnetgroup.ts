// DBSubnetGroup: one RDS DB subnet group, the set of VPC subnets an RDS DB
// instance may be placed in. Its cloud identity is its name (RDS keeps it in
// lower case), which is what a SqlInstance's dbSubnetGroupNameRef reads.
import { z } from "zod";
import { defineAwsKind, TagMap } from "./common.ts";

export const DB_SUBNET_GROUP_KIND = "DBSubnetGroup";

export const DBSubnetGroupParameters = z
  .object({
    description: z
      .string()
      .min(1)
      .max(255)
      .meta({ description: "Description of the DB subnet group; RDS can change it in place." }),
    subnetIds: z
      .array(
        z
          .string()
          .max(64)
          .regex(/^subnet-[0-9a-f]+$/),
      )
      .min(1)
      .max(20)
      .meta({
        description:
          "Subnet IDs, compared as a set. RDS wants subnets of one VPC in at least two Availability Zones.",
        "x-kubernetes-list-type": "set",
      }),
    tags: TagMap.optional(),
  })
  .meta({ description: "The DB subnet group's desired settings." });
export type DBSubnetGroupParameters = z.output<typeof DBSubnetGroupParameters>;

export const DBSubnetGroupObservation = z
  .object({
    name: z.string().optional().meta({ description: "The DB subnet group's name, as RDS keeps it." }),
    arn: z.string().optional().meta({ description: "The DB subnet group's ARN." }),
    vpcId: z.string().optional().meta({ description: "The VPC its subnets belong to." }),
    status: z.string().optional().meta({ description: "The status RDS reports, e.g. Complete." }),
    subnets: z
      .array(
        z.object({
          id: z.string().meta({ description: "Subnet ID." }),
          availabilityZone: z.string().optional().meta({ description: "The subnet's Availability Zone." }),
        }),
      )
      .optional()
      .meta({ description: "The subnets RDS reports, with their zones." }),
  })
  .meta({ description: "Observed, non-secret state of the DB subnet group." });
export type DBSubnetGroupObservation = z.output<typeof DBSubnetGroupObservation>;

export const DBSubnetGroupKind = defineAwsKind({
  kind: DB_SUBNET_GROUP_KIND,
  plural: "dbsubnetgroups",
  singular: "dbsubnetgroup",
  shortNames: ["spdbsng"],
  description:
    "An AWS RDS DB subnet group: the subnets a SqlInstance may run in. A SqlInstance refers to it with dbSubnetGroupNameRef.",
  forProvider: DBSubnetGroupParameters,
  atProvider: DBSubnetGroupObservation,
});
