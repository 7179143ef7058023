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
 * Decides whether setpoint may change a cloud resource it found. A uid tag
 * that is not ours always wins: that is what stops one namespace from taking
 * over another's database by choosing the same name.
 */
export function ownershipOf(
  mr: Managed,
  ownership: { owner?: string; uid?: string } | undefined,
): OwnershipVerdict {
  const uid = ownership?.uid;
  if (uid)
    return uid === mr.metadata.uid ? { kind: "ours" } : { kind: "foreign", owner: ownership?.owner ?? uid };
  if (createdBySetpoint(mr)) return { kind: "ours" };
  return externalNameIsExplicit(mr) ? { kind: "adoptable" } : { kind: "untagged" };
}
