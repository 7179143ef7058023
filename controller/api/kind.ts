// What the CRD generator and the engine need to know about a kind. Each
// kind's schema module exports one of these; crds/ is generated from them,
// and a registration (registration.ts) pairs a managed one with its provider.
import type { z } from "zod";
import { managedSpec, managedStatus } from "./managed.ts";
import type { ReferenceDeclaration } from "./references.ts";

export interface KindDefinition {
  /** The API group, e.g. "aws.setpoint.dev". */
  group: string;
  /** The served and stored version, e.g. "v1alpha1". */
  version: string;
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
  /** Spec fields that name other managed resources; the engine resolves them before connect. */
  references?: readonly ReferenceDeclaration[];
  /**
   * CEL rules on the whole object, for what a rule on spec cannot see: the
   * object's own name (the only metadata CEL may read) beside its spec.
   */
  rules?: readonly CelRule[];
}

/** One x-kubernetes-validations entry. `fieldPath` names the field the error is reported on. */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
}

/** A managed kind, keeping its own forProvider and atProvider schemas so registration can type its provider. */
export interface ManagedKindDefinition<F extends z.ZodType = z.ZodType, A extends z.ZodType = z.ZodType>
  extends KindDefinition {
  managed: true;
  scope: "Namespaced";
  forProvider: F;
  atProvider: A;
}

/** A managed kind from its names and its own two schemas; the shared spec and status wrap them. */
export function defineManagedKind<F extends z.ZodType, A extends z.ZodType>(
  def: Omit<ManagedKindDefinition<F, A>, "scope" | "managed" | "spec" | "status">,
): ManagedKindDefinition<F, A> {
  return {
    ...def,
    scope: "Namespaced",
    managed: true,
    spec: managedSpec(def.forProvider),
    status: managedStatus(def.atProvider),
  };
}

/** "group/version", as in an object's apiVersion. */
export function apiVersionOf(def: Pick<KindDefinition, "group" | "version">): string {
  return `${def.group}/${def.version}`;
}
