// Fields and annotations shared by every managed resource kind. The zod
// schemas here are the single source of truth: the CRDs in crds/ are
// generated from them, and the controller parses objects with them.
import { z } from "zod";

export const GROUP = "aws.setpoint.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const Annotations = {
  externalName: "setpoint.dev/external-name",
  /** Set beside external-name when setpoint derived it; absent means the user chose it. */
  externalNameDerived: "setpoint.dev/external-name-derived",
  paused: "setpoint.dev/paused",
  /** Written after a create call returned, so a missing resource later counts as a recreation. */
  externalCreateSucceeded: "setpoint.dev/external-create-succeeded",
} as const;

export const Tags = {
  owner: "setpoint.dev/owner",
  uid: "setpoint.dev/uid",
} as const;

export const FINALIZER = "setpoint.dev/managed";

/** Smallest accepted spec.pollInterval; below it a poll costs more than it tells. */
export const MIN_POLL_INTERVAL_SECONDS = 5;

export const ManagementAction = z.enum(["*", "Observe", "Create", "Update", "Delete", "LateInitialize"]);
export type ManagementAction = z.infer<typeof ManagementAction>;

/** A Go-style duration such as "30s", "5m" or "1h30m". */
export const DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

export const TagMap = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .meta({ description: "Tags applied to the cloud resource, besides setpoint's own owner and uid tags." });

/**
 * Wraps a kind's forProvider schema into the shared managed-resource spec.
 * Defaults live here so the CRD applies them at admission and the
 * controller never sees an absent policy.
 */
export function managedSpec<F extends z.ZodType>(forProvider: F) {
  return z
    .object({
      providerConfigRef: z
        .object({
          name: z.string().min(1).meta({ description: "Name of the cluster-scoped ProviderConfig." }),
        })
        .default({ name: "default" })
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

/** A managed custom resource as the controller holds it. */
export interface Managed<F = unknown, A = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ManagedSpec<F>;
  status?: ManagedStatus<A>;
}

/**
 * Everything the CRD generator and the engine need to know about a kind.
 * Each kind's module exports one of these; crds/ is generated from them.
 */
export interface KindDefinition {
  /** Defaults to aws.setpoint.dev; tests register kinds of their own group. */
  group?: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  scope: "Namespaced" | "Cluster";
  /** Shown in `kubectl explain` for the kind itself. */
  description: string;
  spec: z.ZodType;
  status: z.ZodType;
  /** Managed kinds get Ready/Synced/Drifted/External-Name/Age printer columns and the shared status. */
  managed: boolean;
  /** Spec paths (from forProvider) that hold secrets; only their path is ever reported. */
  sensitivePaths?: string[];
}

export function defineManagedKind<F extends z.ZodType, A extends z.ZodType>(def: {
  group?: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  description: string;
  forProvider: F;
  atProvider: A;
  sensitivePaths?: string[];
}): KindDefinition & { forProvider: F; atProvider: A } {
  return {
    ...def,
    scope: "Namespaced",
    managed: true,
    spec: managedSpec(def.forProvider),
    status: managedStatus(def.atProvider),
  };
}
