// The shape every managed resource shares, whatever its API group: the
// common spec fields (policies, deletion policy, poll interval, connection
// Secret), the status (conditions, drift report) and the zod builders that
// wrap a kind's own forProvider and atProvider schemas into them. The CRDs
// are generated from these schemas; the API server applies their defaults
// at admission, which is why the engine never sees an absent policy.
import { z } from "zod";

/** Smallest accepted spec.pollInterval; below it a poll costs more than it tells. */
export const MIN_POLL_INTERVAL_SECONDS = 5;

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
        .object({
          name: z.string().min(1).meta({ description: "Name of the cluster-scoped ProviderConfig." }),
        })
        .default({ name: DEFAULT_PROVIDER_CONFIG_NAME })
        .meta({ description: "The ProviderConfig that holds region, endpoint and credentials." }),
      managementPolicies: z
        .array(ManagementAction)
        .min(1)
        .default(["*"])
        .meta({
          description:
            'What setpoint may do: ["*"] (everything), ["Observe"] (report drift only), or a list of Observe, Create, Update, Delete and LateInitialize.',
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
        .regex(new RegExp(DURATION_PATTERN))
        .optional()
        .meta({
          description: `How often a steady resource is checked for drift, e.g. "30s" or "5m". At least ${MIN_POLL_INTERVAL_SECONDS}s; defaults to the controller's --poll-interval.`,
        }),
      writeConnectionSecretToRef: z
        .object({ name: z.string().min(1).max(253) })
        .optional()
        .meta({ description: "A Secret in the same namespace that receives connection details." }),
      forProvider,
    })
    .meta({ description: "Desired state of the managed resource." });
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
