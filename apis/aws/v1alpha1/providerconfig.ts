// ProviderConfig: cluster-scoped; says where and as whom setpoint talks to AWS.
import { z } from "zod";
import type { KindDefinition } from "../../../controller/api/index.ts";
import { API_VERSION, GROUP, VERSION } from "./common.ts";

export const PROVIDER_CONFIG_KIND = "ProviderConfig";
export const PROVIDER_CONFIG_PLURAL = "providerconfigs";
export { API_VERSION };

export const SecretKeySelector = z.object({
  namespace: z.string().min(1).meta({ description: "Namespace of the Secret." }),
  name: z.string().min(1).meta({ description: "Name of the Secret." }),
});

export const ProviderConfigSpec = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/)
      .meta({ description: "AWS region, e.g. eu-west-1." }),
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s]+$/)
      .optional()
      .meta({
        description:
          "An AWS-compatible endpoint, e.g. http://localhost:5000 for moto or http://localhost:4566 for LocalStack. Empty means real AWS.",
      }),
    credentials: z
      .object({
        source: z.enum(["Secret", "Environment"]).meta({
          description:
            "Secret: an access key pair in secretRef. Environment: the AWS SDK default chain (environment, shared config, IRSA, instance role).",
        }),
        secretRef: SecretKeySelector.extend({
          accessKeyIdKey: z.string().default("aws_access_key_id"),
          secretAccessKeyKey: z.string().default("aws_secret_access_key"),
          sessionTokenKey: z.string().default("aws_session_token"),
        })
          .optional()
          .meta({ description: "The Secret with the access key pair, and optionally a session token." }),
      })
      .meta({
        description: "Where the AWS credentials come from.",
        "x-kubernetes-validations": [
          {
            rule: "self.source != 'Secret' || has(self.secretRef)",
            message: "source Secret needs secretRef",
          },
        ],
      }),
  })
  .meta({ description: "Region, endpoint and credentials for AWS." });
export type ProviderConfigSpec = z.infer<typeof ProviderConfigSpec>;

export const ProviderConfigStatus = z.object({
  users: z.number().int().optional().meta({ description: "Managed resources that use this ProviderConfig." }),
});

export interface ProviderConfig {
  apiVersion: string;
  kind: "ProviderConfig";
  metadata: { name: string; resourceVersion?: string; uid?: string };
  spec: ProviderConfigSpec;
}

export const ProviderConfigKind: KindDefinition = {
  group: GROUP,
  version: VERSION,
  kind: PROVIDER_CONFIG_KIND,
  plural: PROVIDER_CONFIG_PLURAL,
  singular: "providerconfig",
  scope: "Cluster",
  managed: false,
  description:
    "Where and as whom setpoint talks to AWS. Managed resources name one in spec.providerConfigRef.",
  spec: ProviderConfigSpec,
  status: ProviderConfigStatus,
};
