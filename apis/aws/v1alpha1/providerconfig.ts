// ProviderConfig: cluster-scoped; says where and as whom setpoint talks to AWS.
import { z } from "zod";
import { type KindDefinition, objectName, SECRET_KEY_PATTERN } from "../../../controller/api/index.ts";
import { API_VERSION, GROUP, VERSION } from "./common.ts";

export const PROVIDER_CONFIG_KIND = "ProviderConfig";
export const PROVIDER_CONFIG_PLURAL = "providerconfigs";
export { API_VERSION };

/** A namespace name (DNS-1123 label): lower-case letters, digits and "-", at most 63 characters. */
const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const SecretKeySelector = z.object({
  namespace: z
    .string()
    .min(1)
    .max(63)
    .regex(NAMESPACE_PATTERN)
    .meta({ description: 'Namespace of the Secret: lower-case letters, digits and "-".' }),
  name: objectName("Name of the Secret."),
});

/** A key of the credentials Secret. */
const secretKey = (fallback: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(new RegExp(SECRET_KEY_PATTERN))
    .default(fallback)
    .meta({ description: `Key in the Secret (default ${fallback}): letters, digits, "-", "_" and ".".` });

export const ProviderConfigSpec = z
  .object({
    region: z
      .string()
      .max(32)
      .regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/)
      .meta({ description: "AWS region, e.g. eu-west-1." }),
    endpoint: z
      .string()
      .max(2048)
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
          accessKeyIdKey: secretKey("aws_access_key_id"),
          secretAccessKeyKey: secretKey("aws_secret_access_key"),
          sessionTokenKey: secretKey("aws_session_token"),
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
          {
            rule: "self.source == 'Secret' || !has(self.secretRef)",
            message: "secretRef is read only with source Secret: remove it, or set source to Secret",
            fieldPath: ".secretRef",
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
