// References between managed resources: the schema of a reference field and
// the declaration a kind makes of it. A reference names another managed
// resource of the same API group in the SAME namespace; the engine resolves
// it (controller/reconciler/references.ts) before connect and writes the
// target's value into the spec field it stands for, so providers only ever
// see plain values and never resolve anything themselves.
import { z } from "zod";
import { localRef } from "./refs.ts";

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

/**
 * The schema of one reference to a managed resource: { name }, built with
 * localRef (refs.ts), so admission rejects a `namespace` key instead of the
 * API server pruning it silently.
 */
export function localReference(kind: string) {
  return localRef(
    {
      name: z
        .string()
        .min(1)
        .max(253)
        .meta({ description: `Name of the ${kind} in this resource's namespace.` }),
    },
    `A ${kind} in the same namespace.`,
  );
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
