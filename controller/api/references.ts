// References between managed resources: the schema of a reference field and
// the declaration a kind makes of it. A reference names another managed
// resource of the same API group in the SAME namespace; the engine resolves
// it (controller/reconciler/references.ts) before connect and writes the
// target's value into the spec field it stands for, so providers only ever
// see plain values and never resolve anything themselves.
import { z } from "zod";

/**
 * Where a reference takes its value from on the target: its external name
 * (the cloud name the engine keeps in the external-name annotation), or a
 * dotted path into its status, such as "status.atProvider.groupId".
 */
export type ReferenceSource = "externalName" | `status.${string}`;

export interface ReferenceDeclaration {
  /**
   * Spec path of the reference, e.g. "forProvider.dbSubnetGroupNameRef": a
   * { name } object, or a list of them when `many`.
   */
  field: string;
  /** Spec path of a { matchLabels } selector choosing targets by label, for a `many` reference. */
  selector?: string;
  /** The target's kind, in the referrer's own API group. */
  kind: string;
  /** Spec path the resolved value is written to, e.g. "forProvider.dbSubnetGroupName". */
  into: string;
  from: ReferenceSource;
  /** The reference is a list, and `into` receives a list of values (sorted by target name). */
  many?: boolean;
}

// "namespace" is a CEL keyword, so the API server spells the property __namespace__ in rules.
const NAMESPACE_REJECTED = {
  rule: "!has(self.__namespace__)",
  message:
    "a reference names a resource in the same namespace; namespace is not allowed (the namespace is the security boundary)",
};

/**
 * The schema of one reference: { name }. A `namespace` key is declared only
 * to be rejected at admission by CEL: left undeclared, the API server would
 * prune it silently and the reference would quietly point somewhere else.
 */
export function localReference(kind: string) {
  return z
    .object({
      name: z
        .string()
        .min(1)
        .max(253)
        .meta({ description: `Name of the ${kind} in this resource's namespace.` }),
      namespace: z
        .string()
        .max(63)
        .optional()
        .meta({ description: "Not allowed: references stay inside the resource's namespace." }),
    })
    .meta({
      description: `A ${kind} in the same namespace.`,
      "x-kubernetes-validations": [NAMESPACE_REJECTED],
    });
}

/** The schema of a label selector over targets in the same namespace. */
export function localSelector(kind: string) {
  return z
    .object({
      matchLabels: z
        .record(z.string().min(1).max(317), z.string().max(63))
        .meta({ description: `Every ${kind} in this namespace whose labels include all of these.` }),
    })
    .meta({
      description: `Chooses ${kind}s in the same namespace by label; their values are used in name order.`,
    });
}
