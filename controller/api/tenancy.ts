// The administrator's side of the tenancy boundary, as the engine reads it from
// any API group's cluster-scoped config kind. A config kind (the AWS group's
// ProviderConfig, or another group's own) states which namespaces may use it
// and whether they may adopt cloud resources that setpoint did not create.
// The engine enforces both for every managed kind of the group
// (controller/reconciler/tenancy.ts); providers never see these fields.
import { z } from "zod";
import type { KindDefinition } from "./kind.ts";
import { LabelSelector } from "./label-selector.ts";

export const AdoptionPolicy = z.enum(["Forbid", "Allow"]);
export type AdoptionPolicy = z.infer<typeof AdoptionPolicy>;

/** What the engine needs to know from a config object, whatever its group. */
export interface TenancyPolicy {
  /** Namespaces whose resources may use the config; undefined means every namespace. */
  namespaceSelector?: LabelSelector;
  adoption: {
    policy: AdoptionPolicy;
    /** Of the namespaces above, those that may adopt; undefined means all of them. */
    namespaceSelector?: LabelSelector;
  };
}

/** The policy when a config says nothing: every namespace, no adoption. */
export const DEFAULT_TENANCY: TenancyPolicy = { adoption: { policy: "Forbid" } };

/** The spec paths of the tenancy fields, named in the messages that tell an administrator what to change. */
export const TenancyFields = {
  namespaceSelector: "spec.namespaceSelector",
  adoptionPolicy: "spec.adoption.policy",
  adoptionNamespaceSelector: "spec.adoption.namespaceSelector",
} as const;

/**
 * The tenancy fields of a config kind's spec, to spread into its zod object
 * so that every API group offers the same two fields with the same meaning.
 */
export function tenancySpecFields() {
  return {
    namespaceSelector: LabelSelector.optional().meta({
      description:
        "Namespaces whose resources may use this config, by their labels. Absent: every namespace, which keeps a one-team cluster simple; set it in a shared cluster. A resource in another namespace gets Synced=False (NamespaceNotAllowed) and setpoint makes no cloud call for it.",
    }),
    adoption: z
      .object({
        policy: AdoptionPolicy.default("Forbid").meta({
          description:
            "Allow: a resource that names an existing cloud resource without setpoint's owner tags (setpoint.dev/external-name) may take it over. Forbid (default): it gets Synced=False (AdoptionNotAllowed) and nothing is written to the cloud.",
        }),
        namespaceSelector: LabelSelector.optional().meta({
          description:
            "With policy Allow, only namespaces matching this selector may adopt. Absent: every namespace that may use this config.",
        }),
      })
      .default({ policy: "Forbid" })
      .meta({
        description: "Whether resources may adopt existing, untagged cloud resources.",
        "x-kubernetes-validations": [
          {
            // A selector of who may adopt, under a policy that nobody may, says two things at once.
            rule: "self.policy == 'Allow' || !has(self.namespaceSelector)",
            message:
              "adoption.namespaceSelector is read only with policy Allow: remove it, or set policy to Allow",
            fieldPath: ".namespaceSelector",
          },
        ],
      }),
  };
}

const TenancySpec = z.object(tenancySpecFields());

/**
 * Reads the tenancy fields from a config object's spec. Throws when they are
 * malformed (an object stored before the CRD validated them), so the engine
 * refuses instead of guessing.
 */
export function readTenancy(spec: unknown): TenancyPolicy {
  const parsed = TenancySpec.safeParse(spec ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`spec.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  const { namespaceSelector, adoption } = parsed.data;
  return {
    ...(namespaceSelector ? { namespaceSelector } : {}),
    adoption: {
      policy: adoption.policy,
      ...(adoption.namespaceSelector ? { namespaceSelector: adoption.namespaceSelector } : {}),
    },
  };
}

/**
 * A cluster-scoped config kind that managed resources name in
 * spec.providerConfigRef. `tenancy` is the engine's only reading of it: the
 * engine calls it for every kind of the group, so a new kind gets the
 * namespace and adoption rules without code of its own.
 */
export interface ConfigKindDefinition extends KindDefinition {
  managed: false;
  scope: "Cluster";
  tenancy(obj: Record<string, unknown>): TenancyPolicy;
}
