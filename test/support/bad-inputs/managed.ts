// Bad inputs in the fields every managed kind shares (controller/api/managed.ts):
// pollInterval, managementPolicies, deletionPolicy, providerConfigRef,
// writeConnectionSecretToRef, and the engine's annotations. Made for each
// managed kind from a valid spec of that kind.
import { answered, type Entry, type Json, type ManagedCatalogueKind, merge, rejected } from "./catalogue.ts";

const BETWEEN = "pollInterval must be between 5s and 24h";
const DURATION_SHAPE = /should match '\^\(\[0-9\]\+/;

export function managedEntries(
  kind: ManagedCatalogueKind,
  base: Json,
  /** An external name that kind's cloud refuses, and the reason the provider gives. */
  badName: { value: string; why: RegExp },
): Entry[] {
  const spec = (patch: Json) => merge(base, patch);
  const bad = (
    name: string,
    category: Parameters<typeof rejected>[0]["category"],
    patch: Json,
    field: string,
    message: string | RegExp,
  ) =>
    rejected({
      name: `a ${kind} with ${name}`,
      kind,
      category,
      spec: spec(patch),
      expect: { field, message },
    });
  return [
    bad(
      "pollInterval 1ms, which would be clamped without a word",
      "bad duration",
      { pollInterval: "1ms" },
      "spec.pollInterval",
      BETWEEN,
    ),
    bad(
      "pollInterval 4s, below the 5s minimum",
      "bad duration",
      { pollInterval: "4s" },
      "spec.pollInterval",
      BETWEEN,
    ),
    bad(
      "pollInterval 25h, above the 24h maximum",
      "bad duration",
      { pollInterval: "25h" },
      "spec.pollInterval",
      BETWEEN,
    ),
    bad(
      "pollInterval 30, a number without a unit",
      "bad duration",
      { pollInterval: "30" },
      "spec.pollInterval",
      DURATION_SHAPE,
    ),
    bad(
      'pollInterval "5 m", with a space',
      "bad duration",
      { pollInterval: "5 m" },
      "spec.pollInterval",
      DURATION_SHAPE,
    ),
    bad(
      "a negative pollInterval",
      "bad duration",
      { pollInterval: "-5s" },
      "spec.pollInterval",
      DURATION_SHAPE,
    ),
    bad(
      "pollInterval 30 as a JSON number",
      "wrong type",
      { pollInterval: 30 },
      "spec.pollInterval",
      "must be of type string",
    ),
    bad(
      "a 100-character pollInterval",
      "empty or huge string",
      { pollInterval: `${"1".repeat(99)}s` },
      "spec.pollInterval",
      /Too long|at most 32/,
    ),
    bad(
      'managementPolicies ["Create"], which cannot observe',
      "contradictory policy",
      { managementPolicies: ["Create"] },
      "spec.managementPolicies",
      "must contain '*' or 'Observe'",
    ),
    bad(
      'managementPolicies ["*", "Delete"]',
      "contradictory policy",
      { managementPolicies: ["*", "Delete"] },
      "spec.managementPolicies",
      "'*' already means every action",
    ),
    bad(
      "managementPolicies that list Observe twice",
      "contradictory policy",
      { managementPolicies: ["Observe", "Observe"] },
      "spec.managementPolicies[1]",
      "Duplicate value",
    ),
    bad(
      "an unknown management policy",
      "unknown enum value",
      { managementPolicies: ["Banana"] },
      "spec.managementPolicies[0]",
      "Unsupported value",
    ),
    bad(
      "empty managementPolicies",
      "out of range",
      { managementPolicies: [] },
      "spec.managementPolicies",
      /at least 1 item/,
    ),
    bad(
      "managementPolicies that allow Delete and deletionPolicy Orphan",
      "contradictory policy",
      { managementPolicies: ["Observe", "Delete"], deletionPolicy: "Orphan" },
      "spec.deletionPolicy",
      "managementPolicies list Delete, but deletionPolicy Orphan says never to delete",
    ),
    bad(
      "deletionPolicy Keep",
      "unknown enum value",
      { deletionPolicy: "Keep" },
      "spec.deletionPolicy",
      "Unsupported value",
    ),
    bad(
      "a ProviderConfig name with an underscore",
      "name AWS refuses",
      { providerConfigRef: { name: "Bad_Name" } },
      "spec.providerConfigRef.name",
      "should match",
    ),
    bad(
      "an empty ProviderConfig name",
      "empty or huge string",
      { providerConfigRef: { name: "" } },
      "spec.providerConfigRef.name",
      /at least 1 chars/,
    ),
    bad(
      "writeConnectionSecretToRef.name Bad_Name, which no Secret can have",
      "name AWS refuses",
      { writeConnectionSecretToRef: { name: "Bad_Name" } },
      "spec.writeConnectionSecretToRef.name",
      "should match",
    ),
    bad(
      "a 254-character connection Secret name",
      "empty or huge string",
      { writeConnectionSecretToRef: { name: "a".repeat(254) } },
      "spec.writeConnectionSecretToRef.name",
      /Too long|at most 253/,
    ),
    bad(
      "writeConnectionSecretToRef without a name",
      "wrong type",
      { writeConnectionSecretToRef: {} },
      "spec.writeConnectionSecretToRef.name",
      "Required value",
    ),
    bad(
      "forProvider as a string",
      "wrong type",
      { forProvider: "postgres" },
      "spec.forProvider",
      "must be of type object",
    ),
    bad(
      "a connection Secret in another namespace",
      "cross-field rule",
      { writeConnectionSecretToRef: { name: "db-conn", namespace: "other-team" } },
      "spec.writeConnectionSecretToRef",
      "references stay in the resource's own namespace",
    ),
    rejected({
      name: `a ${kind} without forProvider`,
      kind,
      category: "wrong type",
      spec: { providerConfigRef: { name: "default" } },
      expect: { field: "spec.forProvider", message: "Required value" },
    }),
    rejected({
      name: `a ${kind} with an unknown field in spec`,
      kind,
      category: "unknown field",
      spec: spec({ pollIntervall: "30s" }),
      strict: true,
      expect: { field: "spec.pollIntervall", message: "unknown field" },
    }),
    rejected({
      name: `a ${kind} with an unknown field in forProvider`,
      kind,
      category: "unknown field",
      spec: spec({ forProvider: { kiwi: 1 } }),
      strict: true,
      expect: { field: "spec.forProvider.kiwi", message: "unknown field" },
    }),
    // The engine's annotations: outside the CRD schema, so the controller answers.
    answered({
      name: `a ${kind} with setpoint.dev/paused: banana`,
      kind,
      category: "malformed annotation",
      resource: (c) => ({
        kind,
        spec: spec({ providerConfigRef: { name: c.providerConfig } }),
        annotations: { "setpoint.dev/paused": "banana" },
      }),
      expect: {
        reason: "ReconcileTerminal",
        message: /annotation setpoint\.dev\/paused is "banana": use "true" to pause or "false" to resume/,
        event: "CannotInitializeManagedResource",
        maxCloudCalls: 0,
      },
    }),
    answered({
      name: `a ${kind} with setpoint.dev/paused: "True", capitalised`,
      kind,
      category: "malformed annotation",
      resource: (c) => ({
        kind,
        spec: spec({ providerConfigRef: { name: c.providerConfig } }),
        annotations: { "setpoint.dev/paused": "True" },
      }),
      expect: {
        reason: "ReconcileTerminal",
        message: /annotation setpoint\.dev\/paused is "True"/,
        event: "CannotInitializeManagedResource",
        maxCloudCalls: 0,
      },
    }),
    answered({
      name: `a ${kind} whose external-name annotation the cloud would refuse`,
      kind,
      category: "malformed annotation",
      resource: (c) => ({
        kind,
        spec: spec({ providerConfigRef: { name: c.providerConfig } }),
        annotations: { "setpoint.dev/external-name": badName.value },
      }),
      expect: {
        reason: "ReconcileTerminal",
        message: badName.why,
        event: "CannotInitializeManagedResource",
        maxCloudCalls: 0,
      },
    }),
    answered({
      name: `a ${kind} that names a ProviderConfig that does not exist`,
      kind,
      category: "cross-field rule",
      resource: () => ({ kind, spec: spec({ providerConfigRef: { name: "no-such-config" } }) }),
      expect: {
        reason: "ReconcileTerminal",
        message:
          /^cannot connect to provider: ProviderConfigNotFound: ProviderConfig "no-such-config" not found/,
        event: "CannotConnectToProvider",
        maxCloudCalls: 0,
      },
    }),
  ];
}
