// The shape every managed resource shares, whatever its API group: the
// common spec fields (policies, deletion policy, poll interval, connection
// Secret), the status (conditions, drift report) and the zod builders that
// wrap a kind's own forProvider and atProvider schemas into them. The CRDs
// are generated from these schemas; the API server applies their defaults
// at admission, which is why the engine never sees an absent policy.
import { z } from "zod";
import { localRef } from "./refs.ts";

/** Smallest accepted spec.pollInterval; below it a poll costs more than it tells. */
export const MIN_POLL_INTERVAL_SECONDS = 5;
/** Largest accepted spec.pollInterval: drift found more than a day late is not kept at a setpoint. */
export const MAX_POLL_INTERVAL_HOURS = 24;

/**
 * A Kubernetes object name (DNS-1123 subdomain): lower-case letters, digits,
 * "-" and ".", starting and ending with a letter or digit, at most 253
 * characters. The API server refuses a Secret by any other name, so a
 * reference to one could never resolve.
 */
export const DNS_SUBDOMAIN_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
export const DNS_SUBDOMAIN_MAX_LENGTH = 253;

/** The name of another Kubernetes object (a Secret, a ProviderConfig), checked as the API server would. */
export function objectName(description: string) {
  return z
    .string()
    .min(1)
    .max(DNS_SUBDOMAIN_MAX_LENGTH)
    .regex(new RegExp(DNS_SUBDOMAIN_PATTERN))
    .meta({ description: `${description} A DNS-1123 subdomain: lower-case letters, digits, "-" and ".".` });
}

/** A key in a Secret's data: letters, digits, "-", "_" and ".", as the API server allows. */
export const SECRET_KEY_PATTERN = "^[-._a-zA-Z0-9]+$";

/** The ProviderConfig a resource uses when spec.providerConfigRef is absent. */
export const DEFAULT_PROVIDER_CONFIG_NAME = "default";

export const ManagementAction = z.enum(["*", "Observe", "Create", "Update", "Delete", "LateInitialize"]);
export type ManagementAction = z.infer<typeof ManagementAction>;

/** A Go-style duration such as "30s", "5m" or "1h30m". */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

/** Wraps a kind's forProvider schema into the shared managed-resource spec. */
export function managedSpec<F extends z.ZodType>(forProvider: F) {
  return z
    .object({
      providerConfigRef: z
        .object({ name: objectName("Name of the cluster-scoped ProviderConfig.") })
        .default({ name: DEFAULT_PROVIDER_CONFIG_NAME })
        .meta({ description: "The ProviderConfig that holds region, endpoint and credentials." }),
      managementPolicies: z
        .array(ManagementAction.meta({ maxLength: 14 }))
        .min(1)
        .max(6)
        .default(["*"])
        .meta({
          description:
            'What setpoint may do: ["*"] (everything), ["Observe"] (report drift only), or a list of Observe, Create, Update, Delete and LateInitialize, each at most once.',
          "x-kubernetes-list-type": "set",
          "x-kubernetes-validations": [
            {
              rule: "self.exists(a, a == '*' || a == 'Observe')",
              message:
                "managementPolicies must contain '*' or 'Observe': setpoint cannot act on what it cannot observe",
            },
            {
              rule: "!self.exists(a, a == '*') || size(self) == 1",
              message: "'*' already means every action and must stand alone",
            },
          ],
        }),
      deletionPolicy: z
        .enum(["Delete", "Orphan"])
        .default("Delete")
        .meta({ description: "Delete the cloud resource with the custom resource, or leave it (Orphan)." }),
      pollInterval: z
        .string()
        .max(32)
        .regex(new RegExp(DURATION_PATTERN))
        .optional()
        .meta({
          description: `How often a steady resource is checked for drift, e.g. "30s" or "5m": from ${MIN_POLL_INTERVAL_SECONDS}s to ${MAX_POLL_INTERVAL_HOURS}h. Defaults to the controller's --poll-interval.`,
          "x-kubernetes-validations": [
            {
              // The pattern is checked first; duration() would fail on what it refuses.
              rule: `!self.matches(r'${DURATION_PATTERN}') || (duration(self) >= duration('${MIN_POLL_INTERVAL_SECONDS}s') && duration(self) <= duration('${MAX_POLL_INTERVAL_HOURS}h'))`,
              message: `pollInterval must be between ${MIN_POLL_INTERVAL_SECONDS}s and ${MAX_POLL_INTERVAL_HOURS}h`,
            },
          ],
        }),
      writeConnectionSecretToRef: localRef(
        { name: objectName("Name of the Secret.") },
        "A Secret in the same namespace that receives connection details.",
      ).optional(),
      forProvider,
    })
    .meta({
      description: "Desired state of the managed resource.",
      "x-kubernetes-validations": [
        {
          rule: "self.deletionPolicy != 'Orphan' || !self.managementPolicies.exists(a, a == 'Delete')",
          message:
            "managementPolicies list Delete, but deletionPolicy Orphan says never to delete: remove one of the two",
          fieldPath: ".deletionPolicy",
        },
      ],
    });
}

export const Condition = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string(),
  message: z.string().optional(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof Condition>;

export const DriftField = z.object({
  path: z.string(),
  desired: z.string(),
  observed: z.string(),
});
export type DriftField = z.infer<typeof DriftField>;

export const DriftHistoryEntry = z.object({
  time: z.string(),
  action: z.enum(["Corrected", "Recreated", "Reported"]),
  fields: z.array(z.string()),
});
export type DriftHistoryEntry = z.infer<typeof DriftHistoryEntry>;

export const DriftStatus = z.object({
  lastCheckTime: z.string().optional(),
  lastDetectedTime: z.string().optional(),
  lastCorrectedTime: z.string().optional(),
  corrections: z.number().int().default(0),
  recreations: z.number().int().default(0),
  fields: z.array(DriftField).default([]),
  history: z.array(DriftHistoryEntry).default([]),
});
export type DriftStatus = z.infer<typeof DriftStatus>;

/** The status shared by every managed kind; atProvider is the kind's own. */
export function managedStatus<A extends z.ZodType>(atProvider: A) {
  return z.object({
    observedGeneration: z.number().int().optional(),
    conditions: z.array(Condition).optional(),
    atProvider: atProvider.optional(),
    drift: DriftStatus.optional(),
  });
}

/** The metadata fields the controller reads. Everything else passes through untouched. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: unknown[];
}

export interface ManagedSpec<F> {
  providerConfigRef: { name: string };
  managementPolicies: ManagementAction[];
  deletionPolicy: "Delete" | "Orphan";
  pollInterval?: string;
  writeConnectionSecretToRef?: { name: string };
  forProvider: F;
}

export interface ManagedStatus<A> {
  observedGeneration?: number;
  conditions?: Condition[];
  atProvider?: A;
  drift?: DriftStatus;
}

/** A managed custom resource as the controller holds it (read from the watch cache, not re-validated). */
export interface Managed<F = unknown, A = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ManagedSpec<F>;
  status?: ManagedStatus<A>;
}
