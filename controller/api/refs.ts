// References from a managed resource to other objects (a password Secret, the
// connection Secret, and any reference a kind adds) stay inside the resource's
// own namespace: the namespace is the tenancy boundary, and a reference that
// could name another namespace would let a tenant read or write objects of
// another. A structural schema silently drops an unknown `namespace` key, so
// the user would believe it took effect; these schemas declare the key only to
// reject it at admission with a message that says why.
import { z } from "zod";

export const LOCAL_REF_NAMESPACE_MESSAGE =
  "references stay in the resource's own namespace: remove namespace (the object must live next to the resource)";

/**
 * A reference object with the given fields and a `namespace` that admission
 * rejects. Every reference field of every kind is built with this.
 */
export function localRef<S extends z.ZodRawShape>(shape: S, description: string) {
  return z
    .object({
      ...shape,
      // Bounded like a namespace name, so the API server can cost the CEL rules of kinds that use it.
      namespace: z.string().max(63).optional().meta({
        description:
          "Not allowed: a reference always names an object in the resource's own namespace. Present only so that admission can reject it instead of dropping it.",
      }),
    })
    .meta({
      description,
      "x-kubernetes-validations": [{ rule: "!has(self.namespace)", message: LOCAL_REF_NAMESPACE_MESSAGE }],
    });
}
