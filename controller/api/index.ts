// The engine's own API, for API groups and providers to build on: the shared
// managed-resource schema, the bookkeeping annotations, finalizer and tags,
// and the kind definitions and registrations that crds/ and the controller
// are both built from.
export * from "./kind.ts";
export * from "./managed.ts";
export * from "./metadata.ts";
export * from "./registration.ts";
