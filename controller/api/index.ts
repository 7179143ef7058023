// The engine's own API, for API groups and providers to build on: the shared
// managed-resource schema, the bookkeeping annotations, finalizer and tags,
// the kind definitions and registrations that crds/ and the controller are
// both built from, and the tenancy fields every config kind carries.
export * from "./kind.ts";
export * from "./label-selector.ts";
export * from "./managed.ts";
export * from "./metadata.ts";
export * from "./references.ts";
export * from "./refs.ts";
export * from "./registration.ts";
export * from "./tenancy.ts";
