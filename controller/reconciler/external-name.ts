// External names and the ownership rule. Names are derived deterministically
// so that a create retried after a lost response finds its first attempt
// instead of making a second resource.
import { Annotations, type Managed } from "../api/index.ts";

export function externalNameOf(mr: Managed): string | undefined {
  return mr.metadata.annotations?.[Annotations.externalName] || undefined;
}

/** True when a person chose the external name, which is what makes adopting an untagged resource explicit. */
export function externalNameIsExplicit(mr: Managed): boolean {
  return (
    externalNameOf(mr) !== undefined && mr.metadata.annotations?.[Annotations.externalNameDerived] !== "true"
  );
}

export function createdBySetpoint(mr: Managed): boolean {
  return Boolean(mr.metadata.annotations?.[Annotations.externalCreateSucceeded]);
}

export type OwnershipVerdict =
  | { kind: "ours" }
  | { kind: "adoptable" }
  | { kind: "foreign"; owner: string }
  | { kind: "untagged" };

/**
 * Whose a cloud resource is, from its tags alone. A uid tag that is not ours
 * always wins: that is what stops one namespace from taking over another's
 * database by choosing the same name. Without a uid tag, setpoint did not
 * create it (or its tags were removed), and binding to it is adoption,
 * whatever the custom resource's annotations say: a tenant can write those,
 * so they never prove ownership. An owner tag naming another resource is
 * someone else's claim too.
 */
export function ownershipOf(
  mr: Managed,
  ownership: { owner?: string; uid?: string } | undefined,
): OwnershipVerdict {
  const uid = ownership?.uid;
  if (uid)
    return uid === mr.metadata.uid ? { kind: "ours" } : { kind: "foreign", owner: ownership?.owner ?? uid };
  const owner = ownership?.owner;
  if (owner && owner !== ownerName(mr)) return { kind: "foreign", owner };
  return externalNameIsExplicit(mr) ? { kind: "adoptable" } : { kind: "untagged" };
}

/** "namespace/name": the value of the owner tag setpoint writes. */
export function ownerName(mr: Managed): string {
  return `${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
}
