// The tenancy gate: whether a resource's namespace may use the config object
// it names, and whether it may adopt a cloud resource that setpoint did not
// create. Pure functions of what the administrator wrote (the config's
// tenancy reading, controller/api/tenancy.ts) and the namespace's labels. The
// reconciler asks before it makes any cloud call, for every kind alike: a kind
// gets the gate by being registered, and providers never see it.

import { describeSelector, selectorMatches } from "../api/label-selector.ts";
import type { Managed } from "../api/managed.ts";
import { TenancyFields, type TenancyPolicy } from "../api/tenancy.ts";
import { TerminalError } from "../provider.ts";
import { externalNameOf } from "./external-name.ts";
import { TerminalCode } from "./steps.ts";

/** What the engine found out about the administrator's statement for one resource. */
export type TenancyReading =
  /** The kind has no config kind: no administrator said anything. */
  | { config: undefined }
  | {
      /** The config object the resource names, e.g. { kind: "ProviderConfig", name: "prod" }. */
      config: { kind: string; name: string };
      /**
       * Its tenancy policy; undefined when the object does not exist (connect
       * reports that), an Error when its fields cannot be read.
       */
      policy: TenancyPolicy | Error | undefined;
      /** The namespace's labels; undefined when the namespace is not known (yet). */
      namespaceLabels: Readonly<Record<string, string>> | undefined;
    };

/** Whether adopting an untagged cloud resource is allowed, and if not, the refusal to report. */
export type AdoptionConsent = { allowed: true } | { allowed: false; error: TerminalError };

export type TenancyVerdict =
  | { admitted: true; adoption: AdoptionConsent }
  /** Refused until the administrator changes the config or the namespace's labels. */
  | { admitted: false; error: TerminalError }
  /** Cannot be told yet (the namespace is not in the cache): try again soon. */
  | { admitted: "unknown"; error: Error };

/** Adoption refused because nobody consented: the default wherever there is no config to ask. */
export function adoptionForbidden(mr: Managed, why: string): AdoptionConsent {
  return {
    allowed: false,
    error: new TerminalError(
      TerminalCode.AdoptionNotAllowed,
      `${mr.kind} ${externalNameOf(mr) ?? mr.metadata.name} already exists in the cloud and carries no setpoint owner tags, so using it would adopt it; ${why}. Nothing was written to the cloud.`,
    ),
  };
}

/** Decides the gate for `mr`. */
export function evaluateTenancy(mr: Managed, reading: TenancyReading): TenancyVerdict {
  const namespace = mr.metadata.namespace ?? "";
  if (reading.config === undefined) {
    return {
      admitted: true,
      adoption: adoptionForbidden(mr, `${mr.kind} has no config kind that could allow adoption`),
    };
  }
  const { kind, name } = reading.config;
  const config = `${kind} "${name}"`;
  if (reading.policy === undefined) {
    // Nothing to authorize against, and nothing to connect with either: the
    // provider's connect reports the missing config. Adoption needs a yes.
    return { admitted: true, adoption: adoptionForbidden(mr, `${config} does not exist`) };
  }
  if (reading.policy instanceof Error) {
    return {
      admitted: false,
      error: new TerminalError(
        TerminalCode.TenancyPolicyInvalid,
        `${config} cannot be read (${reading.policy.message}); until an administrator fixes it, no resource may use it`,
      ),
    };
  }
  const policy = reading.policy;
  const needsLabels =
    policy.namespaceSelector !== undefined || policy.adoption.namespaceSelector !== undefined;
  const labels = reading.namespaceLabels;
  if (needsLabels && labels === undefined) {
    return {
      admitted: "unknown",
      error: new Error(`namespace "${namespace}" is not in the controller's cache yet`),
    };
  }
  const has = labels ?? {};
  if (policy.namespaceSelector && !selectorMatches(policy.namespaceSelector, has)) {
    return {
      admitted: false,
      error: new TerminalError(
        TerminalCode.NamespaceNotAllowed,
        `namespace "${namespace}" may not use ${config}: its ${TenancyFields.namespaceSelector} (${describeSelector(policy.namespaceSelector)}) does not select the namespace. An administrator can change ${TenancyFields.namespaceSelector} of ${config}, or the namespace's labels. No cloud call was made.`,
      ),
    };
  }
  return { admitted: true, adoption: adoptionConsent(mr, config, policy, has) };
}

function adoptionConsent(
  mr: Managed,
  config: string,
  policy: TenancyPolicy,
  labels: Readonly<Record<string, string>>,
): AdoptionConsent {
  const { adoption } = policy;
  if (adoption.policy !== "Allow") {
    return adoptionForbidden(
      mr,
      `${config} does not allow adoption (${TenancyFields.adoptionPolicy} is ${adoption.policy}). An administrator can set ${TenancyFields.adoptionPolicy}: Allow on ${config}, optionally limited with ${TenancyFields.adoptionNamespaceSelector}`,
    );
  }
  if (adoption.namespaceSelector && !selectorMatches(adoption.namespaceSelector, labels)) {
    return adoptionForbidden(
      mr,
      `${config} allows adoption only in namespaces its ${TenancyFields.adoptionNamespaceSelector} (${describeSelector(adoption.namespaceSelector)}) selects, and namespace "${mr.metadata.namespace ?? ""}" is not one. An administrator can change ${TenancyFields.adoptionNamespaceSelector} of ${config}`,
    );
  }
  return { allowed: true };
}
