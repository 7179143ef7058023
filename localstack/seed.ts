// Seeds an AWS emulator with the network that examples/ and the e2e tests name by ID: one VPC, a
// subnet in each of two AZs, a security group, and an RDS DB subnet group over the two subnets.
//
// Fixed IDs. moto 5.2.5 ignores a `_custom_id_` tag on VPCs, subnets and security groups (that tag is a
// LocalStack patch over moto; verified against moto 5.2.5's source and a live server: the ID stays
// random). moto does offer `POST /moto-api/seed?a=N`, which seeds the single random generator every
// moto ID comes from, so after a reset the same calls in the same order yield the same IDs. We use that,
// and also send the IDs as `_custom_id_` tags so that LocalStack, which honours the tag, produces the
// very same IDs. seedEmulator() checks the IDs it got and fails loudly if they differ (for example after
// a moto upgrade, or when another client talked to moto between the reset and the seed).

import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  type Tag,
} from "@aws-sdk/client-ec2";
import { CreateDBSubnetGroupCommand, RDSClient } from "@aws-sdk/client-rds";

export const SEED_REGION = "us-east-1";
export const SEED_AZS = ["us-east-1a", "us-east-1b"] as const;

/** The value given to moto's random generator before seeding; changing it changes every ID below. */
export const MOTO_RANDOM_SEED = 20_250_101;

export const SEED_VPC_ID = "vpc-57f4e91995bc5e598";
export const SEED_VPC_CIDR = "10.42.0.0/16";
export const SEED_SUBNET_A_ID = "subnet-14d58654ea409f2c1";
export const SEED_SUBNET_B_ID = "subnet-985f0717a6a7f1a40";
export const SEED_SUBNET_IDS = [SEED_SUBNET_A_ID, SEED_SUBNET_B_ID] as const;
export const SEED_SECURITY_GROUP_ID = "sg-46b7f5ec66c123564";
export const SEED_SECURITY_GROUP_NAME = "setpoint-default";
export const SEED_DB_SUBNET_GROUP = "setpoint-default";

/** Static credentials: moto and LocalStack accept any. */
export const EMULATOR_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" } as const;

/** SDK v3 client config for an emulator endpoint. */
export function emulatorClientConfig(endpoint: string) {
  return {
    region: SEED_REGION,
    endpoint,
    credentials: { ...EMULATOR_CREDENTIALS },
    // Emulators answer at once; a retry storm would only hide a broken emulator.
    maxAttempts: 2,
  };
}

export interface SeedResult {
  vpcId: string;
  subnetIds: string[];
  securityGroupId: string;
  dbSubnetGroupName: string;
}

const customId = (id: string): Tag[] => [{ Key: "_custom_id_", Value: id }];
const nameTag = (name: string): Tag[] => [
  { Key: "Name", Value: name },
  { Key: "setpoint.dev/seed", Value: "true" },
];

/**
 * Seeds a freshly reset emulator. On moto, first seeds its random generator (POST /moto-api/seed);
 * an endpoint without that route (LocalStack) relies on the `_custom_id_` tags instead.
 * Throws when the created IDs are not the exported constants.
 */
export async function seedEmulator(endpoint: string): Promise<SeedResult> {
  const seeded = await fetch(`${endpoint}/moto-api/seed?a=${MOTO_RANDOM_SEED}`, { method: "POST" }).catch(
    () => undefined,
  );
  const isMoto = seeded?.status === 200;

  const cfg = emulatorClientConfig(endpoint);
  const ec2 = new EC2Client(cfg);
  const rds = new RDSClient(cfg);
  try {
    const vpc = await ec2.send(
      new CreateVpcCommand({
        CidrBlock: SEED_VPC_CIDR,
        TagSpecifications: [
          { ResourceType: "vpc", Tags: [...nameTag("setpoint-default"), ...customId(SEED_VPC_ID)] },
        ],
      }),
    );
    const vpcId = vpc.Vpc?.VpcId ?? "";
    const subnetIds: string[] = [];
    for (const [i, az] of SEED_AZS.entries()) {
      const want = SEED_SUBNET_IDS[i] as string;
      const sn = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `10.42.${i + 1}.0/24`,
          AvailabilityZone: az,
          TagSpecifications: [
            { ResourceType: "subnet", Tags: [...nameTag(`setpoint-default-${az}`), ...customId(want)] },
          ],
        }),
      );
      subnetIds.push(sn.Subnet?.SubnetId ?? "");
    }
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({
        VpcId: vpcId,
        GroupName: SEED_SECURITY_GROUP_NAME,
        Description: "setpoint test and demo default security group",
        TagSpecifications: [
          {
            ResourceType: "security-group",
            Tags: [...nameTag(SEED_SECURITY_GROUP_NAME), ...customId(SEED_SECURITY_GROUP_ID)],
          },
        ],
      }),
    );
    const securityGroupId = sg.GroupId ?? "";

    const got = { vpcId, subnetIds, securityGroupId };
    const want = {
      vpcId: SEED_VPC_ID,
      subnetIds: [...SEED_SUBNET_IDS],
      securityGroupId: SEED_SECURITY_GROUP_ID,
    };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(
        `The emulator at ${endpoint} did not produce the fixed seed IDs (${isMoto ? "moto, seeded" : "not moto"}).\n` +
          `  got:  ${JSON.stringify(got)}\n  want: ${JSON.stringify(want)}\n` +
          "On moto this means the emulator was not freshly reset, another client called it between the reset " +
          "and the seed, or moto's version changed (then update the constants in localstack/seed.ts).",
      );
    }

    await rds.send(
      new CreateDBSubnetGroupCommand({
        DBSubnetGroupName: SEED_DB_SUBNET_GROUP,
        DBSubnetGroupDescription: "setpoint default DB subnet group",
        SubnetIds: subnetIds,
      }),
    );
    return { ...got, dbSubnetGroupName: SEED_DB_SUBNET_GROUP };
  } finally {
    ec2.destroy();
    rds.destroy();
  }
}

// `npx tsx localstack/seed.ts [endpoint]` seeds an already running emulator (e.g. LocalStack on
// http://localhost:4566) after a reset.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const endpoint = process.argv[2] ?? "http://localhost:4566";
  console.log(JSON.stringify(await seedEmulator(endpoint), null, 2));
}
