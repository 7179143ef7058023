// PulumiStack: one Pulumi stack, run from a program the controller was started with. It is a managed
// kind like the AWS ones (same shared spec, status, drift report and engine), in a group of its own:
// the cloud resources behind it are whatever the program declares, so it belongs to no cloud's group.
//
// The spec names a program, its config and where the stack's state lives; the tenant chooses none of
// the paths the controller writes to. The project is the namespace and the stack is the external name,
// so one namespace's stacks never share state paths with another's.
import { z } from "zod";
import {
  defineManagedKind,
  localRef,
  objectName,
  SECRET_KEY_PATTERN,
} from "../../../controller/api/index.ts";

export const GROUP = "pulumi.setpoint.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A program's name: a module (file or folder) in the controller's programs folder. */
export const PROGRAM_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/** A Pulumi config key, "name" (the program's own) or "namespace:name" (a provider's, e.g. "aws:region"). */
export const CONFIG_KEY_PATTERN = "^([A-Za-z0-9_.-]+:)?[A-Za-z0-9_.-]+$";

/**
 * stateRef.local.path: relative names joined by "/", so it can only name a folder under the namespace's
 * own. "." and ".." match the characters but are refused by LOCAL_STATE_DOTS_MESSAGE's rule, at
 * admission and again by the provider (providers/pulumi/target.ts), which also checks the resolved path.
 */
export const LOCAL_STATE_PATH_PATTERN = "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$";
export const LOCAL_STATE_DOTS_MESSAGE =
  'stateRef.local.path cannot contain "." or ".." segments: it names a folder under this namespace\'s state folder, nowhere else';

/** Config keys the controller sets itself; a spec may not set them. */
export const RESERVED_CONFIG_PREFIX = "setpoint:";

/**
 * A key of a Secret in the resource's own namespace: a localRef, like every reference of every kind
 * (the namespace is the tenancy boundary), so admission refuses a `namespace` instead of dropping it.
 */
export const LocalSecretKeyRef = localRef(
  {
    name: objectName("Name of a Secret in the resource's namespace."),
    key: z
      .string()
      .min(1)
      .max(253)
      .regex(new RegExp(SECRET_KEY_PATTERN))
      .meta({ description: 'Key in the Secret: letters, digits, "-", "_" and ".".' }),
  },
  "A key of a Secret in the resource's own namespace.",
);
export type LocalSecretKeyRef = z.infer<typeof LocalSecretKeyRef>;

export const ConfigValue = z
  .object({
    value: z.string().max(65536).optional().meta({
      description:
        'A plain value. Pulumi config values are strings: write "true" or "3" for a boolean or a number, and JSON for an object the program reads with getObject().',
    }),
    secretKeyRef: LocalSecretKeyRef.optional().meta({
      description:
        "A secret value, read from a Secret in the same namespace. The program sees it as a Pulumi secret; it never appears in status, events or logs.",
    }),
  })
  .meta({
    description: "One config value: value or secretKeyRef.",
    "x-kubernetes-validations": [
      {
        rule: "has(self.value) != has(self.secretKeyRef)",
        message: "set exactly one of value and secretKeyRef",
      },
    ],
  });
export type ConfigValue = z.infer<typeof ConfigValue>;

export const StateRef = z
  .object({
    s3: z
      .object({
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
          .meta({ description: "The S3 bucket that holds the state." }),
        prefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/)
          .max(256)
          .optional()
          .meta({
            description: 'A key prefix inside the bucket, e.g. "pulumi/team-a". Empty: the bucket root.',
          }),
      })
      .optional()
      .meta({
        description:
          "Pulumi's S3 backend, reached with the region, endpoint and credentials of the ProviderConfig in spec.providerConfigRef.",
      }),
    local: z
      .object({
        path: z
          .string()
          .max(256)
          .regex(new RegExp(LOCAL_STATE_PATH_PATTERN))
          .optional()
          .meta({
            description:
              'A folder inside this namespace\'s state folder, e.g. "team-a/dev": relative, "/"-separated names of letters, digits, "-", "_" and ".", never "..". Empty: the namespace\'s folder itself.',
            "x-kubernetes-validations": [
              {
                rule: "!self.split('/').exists(s, s == '..' || s == '.')",
                message: LOCAL_STATE_DOTS_MESSAGE,
              },
            ],
          }),
      })
      .optional()
      .meta({
        description:
          "The controller's own disk, in a folder for this namespace under its --pulumi-local-state-dir. Refused unless the controller was started with that flag: it is meant for tests and single-node setups. A tenant can name a folder under its namespace's, nowhere else.",
      }),
  })
  .meta({
    description: "Where the stack's state lives: s3 or local.",
    "x-kubernetes-validations": [
      { rule: "has(self.s3) != has(self.local)", message: "set exactly one of s3 and local" },
    ],
  });
export type StateRef = z.infer<typeof StateRef>;

export const PulumiStackParameters = z
  .object({
    program: z.string().regex(new RegExp(PROGRAM_NAME_PATTERN)).max(63).meta({
      description:
        "The program to run: the name of a module in the controller's programs folder (--pulumi-programs), e.g. s3-bucket.",
    }),
    config: z
      .record(z.string().regex(new RegExp(CONFIG_KEY_PATTERN)).max(128), ConfigValue)
      .default({})
      .meta({
        description:
          'Stack config: keys without a namespace are the program\'s own (new pulumi.Config().get("key")); "aws:region"-style keys configure a provider.',
        "x-kubernetes-validations": [
          {
            rule: `self.all(k, !k.startsWith('${RESERVED_CONFIG_PREFIX}'))`,
            message: `config keys starting with "${RESERVED_CONFIG_PREFIX}" are set by the controller`,
          },
        ],
      }),
    stateRef: StateRef,
    passphraseSecretRef: LocalSecretKeyRef.meta({
      description:
        "The passphrase that encrypts the stack's secrets in its state. Keep it: without it the state's secrets cannot be read again.",
    }),
    connectionOutputs: z.array(z.string().min(1).max(128)).max(64).optional().meta({
      description:
        "Stack outputs to write into the connection Secret (writeConnectionSecretToRef), secret ones included.",
    }),
  })
  .meta({ description: "The program, its config and where its state lives." });
export type PulumiStackParameters = z.infer<typeof PulumiStackParameters>;

export const PulumiStackObservation = z
  .object({
    stack: z
      .string()
      .optional()
      .meta({ description: 'The stack, as "project/stack": "<namespace>/<external name>".' }),
    backend: z.string().optional().meta({ description: "Where the state lives, without credentials." }),
    program: z
      .string()
      .optional()
      .meta({ description: 'The program last applied, as "name@digest" (the digest of its files).' }),
    resources: z
      .int()
      .optional()
      .meta({ description: "Resources in the stack, besides the stack itself and providers." }),
    outputs: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: "The stack's non-secret outputs; values that are not strings are JSON." }),
    secretOutputs: z
      .array(z.string())
      .optional()
      .meta({ description: "Names of the stack's secret outputs; their values are never written here." }),
    lastUpdate: z
      .object({
        kind: z.string().meta({ description: "up or destroy." }),
        time: z.string().meta({ description: "When it finished." }),
        changes: z
          .record(z.string(), z.int())
          .optional()
          .meta({ description: 'What it did, by Pulumi operation, e.g. {"update": 1, "replace": 1}.' }),
      })
      .optional()
      .meta({ description: "The last update setpoint ran." }),
  })
  .meta({ description: "The stack as found in its state." });
export type PulumiStackObservation = z.infer<typeof PulumiStackObservation>;

export const PulumiStackKind = defineManagedKind({
  group: GROUP,
  version: VERSION,
  kind: "PulumiStack",
  plural: "pulumistacks",
  singular: "pulumistack",
  shortNames: ["pstack"],
  description:
    "A Pulumi stack run from a program the controller ships. setpoint refreshes it on every poll, reports drift per resource and field in status.drift, and corrects it with pulumi up.",
  forProvider: PulumiStackParameters,
  atProvider: PulumiStackObservation,
  sensitivePaths: ["forProvider.passphraseSecretRef"],
});
