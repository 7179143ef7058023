// Shared fixtures for the RDS provider's unit tests.
import type { DBInstance } from "@aws-sdk/client-rds";
import {
  type SqlInstanceObservation,
  SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import type { Managed } from "../../../controller/api/index.ts";
import type { KubeAccess, SecretData } from "../../../controller/provider.ts";

export const UID = "uid-1";

export function params(over: Partial<SqlInstanceParameters> = {}): SqlInstanceParameters {
  return SqlInstanceParameters.parse({
    engine: "postgres",
    instanceClass: "db.t3.micro",
    allocatedStorage: 20,
    masterUsername: "app",
    ...over,
  });
}

export function sqlInstance(
  over: Partial<SqlInstanceParameters> = {},
  status?: SqlInstanceObservation,
): Managed<SqlInstanceParameters, SqlInstanceObservation> {
  const mr: Managed<SqlInstanceParameters, SqlInstanceObservation> = {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "SqlInstance",
    metadata: {
      name: "orders",
      namespace: "team-a",
      uid: UID,
      annotations: { "setpoint.dev/external-name": "team-a-orders" },
    },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: params(over),
    },
  };
  if (status) mr.status = { atProvider: status };
  return mr;
}

/** An instance exactly as `params()` plus owner tags would create it. */
export function instance(over: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: "team-a-orders",
    DBInstanceArn: "arn:aws:rds:us-east-1:123456789012:db:team-a-orders",
    DBInstanceStatus: "available",
    Engine: "postgres",
    EngineVersion: "16.4",
    DBInstanceClass: "db.t3.micro",
    AllocatedStorage: 20,
    StorageType: "gp3",
    MasterUsername: "app",
    Endpoint: { Address: "team-a-orders.abc.us-east-1.rds.amazonaws.com", Port: 5432 },
    DbInstancePort: 5432,
    MultiAZ: false,
    PubliclyAccessible: false,
    BackupRetentionPeriod: 1,
    DeletionProtection: false,
    DbiResourceId: "db-ABC",
    VpcSecurityGroups: [{ VpcSecurityGroupId: "sg-1", Status: "active" }],
    TagList: [
      { Key: "setpoint.dev/owner", Value: "team-a/orders" },
      { Key: "setpoint.dev/uid", Value: UID },
    ],
    ...over,
  };
}

/** An in-memory KubeAccess holding Secrets; applySecret bumps a resourceVersion counter. */
export function fakeKube(initial: Record<string, SecretData> = {}) {
  const secrets = new Map(Object.entries(initial));
  let version = 100;
  const applied: string[] = [];
  const kube: KubeAccess = {
    getSecret: async (ns, name) => secrets.get(`${ns}/${name}`),
    applySecret: async (owner: Managed, name, data) => {
      applied.push(name);
      secrets.set(`${owner.metadata.namespace}/${name}`, { resourceVersion: String(version++), data });
    },
    getClusterObject: async () => undefined,
  };
  return { kube, secrets, applied };
}
