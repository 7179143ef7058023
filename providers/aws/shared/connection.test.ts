import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "../../../controller/api/index.ts";
import type { ConnectContext, KubeAccess, SecretData } from "../../../controller/provider.ts";
import { TerminalError } from "../../../controller/provider.ts";
import { resolveAwsConnection } from "./connection.ts";

function mr(providerConfig = "default"): Managed {
  return {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "SqlInstance",
    metadata: { name: "db", namespace: "team-a", uid: "u-1" },
    spec: {
      providerConfigRef: { name: providerConfig },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
  };
}

function ctx(
  objects: Record<string, Record<string, unknown>>,
  secrets: Record<string, SecretData> = {},
): ConnectContext {
  const kube: KubeAccess = {
    getSecret: async (ns, name) => secrets[`${ns}/${name}`],
    applySecret: async () => {},
    getClusterObject: async (_a, _k, _p, name) => objects[name],
  };
  return { kube };
}

const SECRET_PC = {
  spec: {
    region: "eu-west-1",
    endpoint: "http://localhost:5055",
    credentials: { source: "Secret", secretRef: { namespace: "setpoint-system", name: "aws-creds" } },
  },
};

describe("resolveAwsConnection", () => {
  it("reads region, endpoint and static keys from the ProviderConfig and its Secret", async () => {
    const conn = await resolveAwsConnection(
      mr(),
      ctx(
        { default: SECRET_PC },
        {
          "setpoint-system/aws-creds": {
            resourceVersion: "1",
            data: { aws_access_key_id: "AKID", aws_secret_access_key: "SECRET" },
          },
        },
      ),
    );
    assert.equal(conn.region, "eu-west-1");
    assert.equal(conn.endpoint, "http://localhost:5055");
    assert.deepEqual(conn.credentials, { accessKeyId: "AKID", secretAccessKey: "SECRET" });
    assert.equal(conn.account, "secret:setpoint-system/aws-creds");
    assert.equal(conn.key, "secret:setpoint-system/aws-creds/eu-west-1/http://localhost:5055");
  });

  it("uses the SDK default chain for source Environment", async () => {
    const conn = await resolveAwsConnection(
      mr("env"),
      ctx({ env: { spec: { region: "us-east-1", credentials: { source: "Environment" } } } }),
    );
    assert.equal(conn.credentials, undefined);
    assert.equal(conn.account, "environment");
    assert.equal(conn.key, "environment/us-east-1/");
  });

  const failures: {
    name: string;
    objects: Record<string, Record<string, unknown>>;
    secrets?: Record<string, SecretData>;
    code: string;
    mustMention: string;
  }[] = [
    {
      name: "a missing ProviderConfig",
      objects: {},
      code: "ProviderConfigNotFound",
      mustMention: '"default"',
    },
    {
      name: "a ProviderConfig with a bad region",
      objects: { default: { spec: { region: "Mars", credentials: { source: "Environment" } } } },
      code: "ProviderConfigInvalid",
      mustMention: "region",
    },
    {
      name: "a missing credentials Secret",
      objects: { default: SECRET_PC },
      code: "CredentialsSecretNotFound",
      mustMention: "setpoint-system/aws-creds",
    },
    {
      name: "a Secret without the secret key",
      objects: { default: SECRET_PC },
      secrets: {
        "setpoint-system/aws-creds": { resourceVersion: "1", data: { aws_access_key_id: "AKIDVALUE" } },
      },
      code: "CredentialsSecretInvalid",
      mustMention: "aws_secret_access_key",
    },
  ];
  for (const f of failures) {
    it(`throws TerminalError ${f.code} for ${f.name}, naming what is wrong but no secret value`, async () => {
      await assert.rejects(resolveAwsConnection(mr(), ctx(f.objects, f.secrets)), (err: unknown) => {
        assert.ok(err instanceof TerminalError);
        assert.equal(err.code, f.code);
        assert.ok(err.message.includes(f.mustMention), err.message);
        assert.ok(!err.message.includes("AKIDVALUE"));
        return true;
      });
    });
  }
});
