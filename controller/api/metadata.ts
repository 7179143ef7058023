// The annotations, finalizer and cloud tags through which the engine keeps
// its bookkeeping on objects. They belong to the engine, not to any API
// group: every kind of every provider carries the same ones.

export const Annotations = {
  externalName: "setpoint.dev/external-name",
  /** Set beside external-name when setpoint derived it; absent means the user chose it. */
  externalNameDerived: "setpoint.dev/external-name-derived",
  paused: "setpoint.dev/paused",
  /** Written after a create call returned, so a missing resource later counts as a recreation. */
  externalCreateSucceeded: "setpoint.dev/external-create-succeeded",
} as const;

/** The tags every cloud resource carries, naming the custom resource that owns it. */
export const Tags = {
  owner: "setpoint.dev/owner",
  uid: "setpoint.dev/uid",
} as const;

export const FINALIZER = "setpoint.dev/managed";
