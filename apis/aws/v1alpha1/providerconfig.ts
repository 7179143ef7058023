// ProviderConfig: cluster-scoped and the administrator's. It says where and as
// whom setpoint talks to AWS, and, for a shared cluster, which namespaces may
// use it and whether they may adopt existing cloud resources (the engine's
// tenancy fields, the same in every API group).
import { z } from "zod";
import {
  type ConfigKindDefinition,
  objectName,
  readTenancy,
  SECRET_KEY_PATTERN,
  tenancySpecFields,
} from "../../../controller/api/index.ts";
import { API_VERSION, GROUP, VERSION } from "./common.ts";

export const PROVIDER_CONFIG_KIND = "ProviderConfig";
export const PROVIDER_CONFIG_PLURAL = "providerconfigs";
export { API_VERSION };

/** A namespace name (DNS-1123 label): lower-case letters, digits and "-", at most 63 characters. */
const NAMESPACE_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// Unlike the references of managed resources, which stay in their own namespace
// (controller/api/refs.ts), this one names a namespace: a ProviderConfig is
// cluster-scoped and written by a cluster administrator, who chooses where the
// account's keys live (a namespace tenants cannot read).
export const SecretKeySelector = z.object({
  namespace: z.string().min(1).max(63).regex(NAMESPACE_PATTERN).meta({
    description: 'Namespace of the Secret, chosen by the administrator: lower-case letters, digits and "-".',
  }),
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
    ...tenancySpecFields(),
  })
  .meta({
    description:
      "Region, endpoint and credentials for AWS, and which namespaces may use them (namespaceSelector, adoption).",
  });
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

export const ProviderConfigKind: ConfigKindDefinition = {
  group: GROUP,
  version: VERSION,
  kind: PROVIDER_CONFIG_KIND,
  plural: PROVIDER_CONFIG_PLURAL,
  singular: "providerconfig",
  scope: "Cluster",
  managed: false,
  description:
    "Where and as whom setpoint talks to AWS, and which namespaces may use it. Managed resources name one in spec.providerConfigRef.",
  spec: ProviderConfigSpec,
  status: ProviderConfigStatus,
  tenancy: (obj) => readTenancy(obj.spec),
};
