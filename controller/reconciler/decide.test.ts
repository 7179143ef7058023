// The reconciler's decisions as a table: one custom resource, one
// observation, one set of policies in; one decision out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed, ManagementAction } from "../api/managed.ts";
import { Annotations, FINALIZER } from "../api/metadata.ts";
import type { Observation } from "../provider.ts";
import { type Decision, type DeletionDecision, decide, decideDeletion } from "./decide.ts";
import { permissionsOf } from "./policies.ts";
import { type AdoptionConsent, adoptionForbidden } from "./tenancy.ts";

const UID = "uid-1";

/** A Widget created by setpoint and in sync; `drop` removes some of its annotations. */
function mr(over: { drop?: string[]; generation?: number; observed?: number } = {}) {
  const m: Managed = {
    apiVersion: "test.setpoint.dev/v1alpha1",
    kind: "Widget",
    metadata: {
      name: "w",
      namespace: "ns",
      uid: UID,
      generation: over.generation ?? 1,
      finalizers: [FINALIZER],
      annotations: {
        [Annotations.externalName]: "ns-w",
        [Annotations.externalNameDerived]: "true",
        [Annotations.externalCreateSucceeded]: "2026-01-01T00:00:00Z",
      },
    },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
    status: { observedGeneration: over.observed ?? over.generation ?? 1 },
  };
  for (const key of over.drop ?? []) delete m.metadata.annotations?.[key];
  return m;
}

const ours = { owner: "ns/w", uid: UID };
function obs(over: Partial<Observation> = {}): Observation {
  return { exists: true, drift: [], ready: { status: true, reason: "Available" }, ownership: ours, ...over };
}
const drift = [{ path: "forProvider.size", desired: 1, observed: 2 }];
const none = { markCreated: false, lateInit: undefined };
const allowed: AdoptionConsent = { allowed: true };
/** A CR whose external name a person chose, for a resource setpoint never created. */
const chosen = () => mr({ drop: [Annotations.externalNameDerived, Annotations.externalCreateSucceeded] });

describe("decide: what to do with a resource that is not being deleted", () => {
  const cases: {
    name: string;
    mr?: Managed;
    obs: Observation;
    policies?: ManagementAction[];
    adoption?: AdoptionConsent;
    expect: Partial<Decision> & { action: Decision["action"] };
  }[] = [
    {
      name: "creates a resource that is missing",
      obs: obs({ exists: false }),
      mr: mr({ drop: [Annotations.externalCreateSucceeded] }),
      expect: { action: "create", recreate: false },
    },
    {
      name: "recreates a resource it created before",
      obs: obs({ exists: false }),
      expect: { action: "create", recreate: true },
    },
    {
      name: "only reports a missing resource when the policy does not allow Create",
      obs: obs({ exists: false }),
      policies: ["Observe"],
      expect: { action: "report-missing", existedBefore: true },
    },
    { name: "does nothing when the cloud matches the spec", obs: obs(), expect: { action: "none", ...none } },
    {
      name: "corrects drift on a spec the cloud already matched",
      obs: obs({ drift }),
      expect: { action: "update", drift: true, ...none },
    },
    {
      name: "applies a spec change as an update, not as drift",
      mr: mr({ generation: 2, observed: 1 }),
      obs: obs({ drift }),
      expect: { action: "update", drift: false, ...none },
    },
    {
      name: "applies a changed referenced value without counting it as drift",
      obs: obs({ drift: [{ path: "forProvider.password", desired: 1, observed: 2, cause: "reference" }] }),
      expect: { action: "update", drift: false, ...none },
    },
    {
      name: "only reports drift while the cloud is busy, keeping a spec change for later",
      mr: mr({ generation: 2, observed: 1 }),
      obs: obs({ drift, inProgress: true }),
      expect: { action: "report-drift", drift: false, policyForbids: false, holdGeneration: true, ...none },
    },
    {
      name: "only reports drift when the policy does not allow Update",
      obs: obs({ drift }),
      policies: ["Observe", "Create", "Delete"],
      expect: { action: "report-drift", drift: true, policyForbids: true, holdGeneration: false, ...none },
    },
    {
      name: "records the create of a resource found to be its own (a lost create)",
      mr: mr({ drop: [Annotations.externalCreateSucceeded] }),
      obs: obs(),
      expect: { action: "none", markCreated: true, lateInit: undefined },
    },
    {
      name: "late-initializes what the user left empty",
      obs: obs({ lateInit: { color: "grey" } }),
      expect: { action: "none", markCreated: false, lateInit: { color: "grey" } },
    },
    {
      name: "does not late-initialize when the policy leaves LateInitialize out",
      obs: obs({ lateInit: { color: "grey" } }),
      policies: ["Observe", "Create", "Update", "Delete"],
      expect: { action: "none", ...none },
    },
    {
      name: "adopts an untagged resource whose external name a person chose, when the ProviderConfig allows it",
      mr: chosen(),
      obs: obs({ ownership: {} }),
      adoption: allowed,
      expect: { action: "none", markCreated: true, lateInit: undefined },
    },
    {
      name: "writes the owner tags of an allowed adoption only as an update, which needs Update",
      mr: chosen(),
      obs: obs({ ownership: {}, drift }),
      adoption: allowed,
      policies: ["Observe"],
      expect: {
        action: "report-drift",
        drift: true,
        policyForbids: true,
        holdGeneration: false,
        markCreated: true,
        lateInit: undefined,
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decide(c.mr ?? mr(), c.obs, permissionsOf(c.policies ?? ["*"]), c.adoption);
      assert.deepEqual(d, c.expect);
    });
  }

  const refused: {
    name: string;
    mr?: Managed;
    ownership: Observation["ownership"];
    policies?: ManagementAction[];
    adoption?: AdoptionConsent;
    code: string;
    message: RegExp;
  }[] = [
    {
      name: "refuses a resource tagged with another owner's uid",
      ownership: { owner: "other/w", uid: "uid-2" },
      code: "ForeignOwner",
      message: /owned by other\/w/,
    },
    {
      name: "refuses an untagged resource whose external name was derived, not chosen",
      ownership: {},
      mr: mr({ drop: [Annotations.externalCreateSucceeded] }),
      code: "UntaggedResourceExists",
      message: /set the setpoint\.dev\/external-name annotation explicitly/,
    },
    {
      name: "refuses an untagged instance that the ProviderConfig does not allow adopting",
      mr: chosen(),
      ownership: {},
      policies: ["Observe", "Update"],
      adoption: adoptionForbidden(chosen(), 'ProviderConfig "default" does not allow adoption'),
      code: "AdoptionNotAllowed",
      message:
        /carries no setpoint owner tags.*ProviderConfig "default" does not allow adoption\. Nothing was written/,
    },
    {
      name: "refuses adoption when nobody was asked",
      mr: chosen(),
      ownership: {},
      code: "AdoptionNotAllowed",
      message: /consent was not checked/,
    },
    {
      name: "refuses an untagged resource even when the custom resource claims to have created it, since a tenant can write that annotation",
      mr: mr({ drop: [Annotations.externalNameDerived] }),
      ownership: {},
      code: "AdoptionNotAllowed",
      message: /carries no setpoint owner tags/,
    },
    {
      name: "refuses a resource whose owner tag names another resource, even without a uid tag",
      ownership: { owner: "team-b/w" },
      adoption: allowed,
      code: "ForeignOwner",
      message: /owned by team-b\/w/,
    },
  ];
  for (const c of refused) {
    it(c.name, () => {
      const d = decide(
        c.mr ?? mr(),
        obs({ ownership: c.ownership, drift }),
        permissionsOf(c.policies ?? ["*"]),
        c.adoption,
      );
      assert.equal(d.action, "refuse");
      assert.ok(d.action === "refuse");
      assert.equal(d.error.code, c.code);
      assert.match(d.error.message, c.message);
    });
  }
});

describe("decideDeletion: what deleting the custom resource does in the cloud", () => {
  const deleting = (spec: Partial<Managed["spec"]> = {}, finalizers = [FINALIZER]) => {
    const m = mr();
    m.metadata.deletionTimestamp = "2026-01-01T00:01:00Z";
    m.metadata.finalizers = finalizers;
    m.spec = { ...m.spec, ...spec };
    return m;
  };
  const protection = (enabled: boolean, requested: boolean | undefined) => ({
    deletionProtection: { enabled, requested, field: "forProvider.deletionProtection" },
  });
  const cases: {
    name: string;
    mr: Managed;
    obs?: Observation;
    adoption?: AdoptionConsent;
    expect: DeletionDecision["action"];
    more?: object;
  }[] = [
    { name: "has nothing to do without our finalizer", mr: deleting({}, ["other"]), expect: "done" },
    {
      name: "orphans by deletionPolicy, without looking at the cloud",
      mr: deleting({ deletionPolicy: "Orphan" }),
      expect: "orphan",
      more: { why: "policy" },
    },
    {
      name: "orphans under a policy without Delete",
      mr: deleting({ managementPolicies: ["Observe", "Create", "Update"] }),
      expect: "orphan",
    },
    { name: "asks for an observation before deleting", mr: deleting(), expect: "observe" },
    {
      name: "still looks in the cloud when the external-name annotation was removed, rather than dropping the finalizer",
      mr: (() => {
        const m = deleting();
        delete m.metadata.annotations?.[Annotations.externalName];
        return m;
      })(),
      expect: "observe",
    },
    {
      name: "releases the finalizer when nothing is left",
      mr: deleting(),
      obs: obs({ exists: false }),
      expect: "released",
    },
    {
      name: "never deletes a resource owned by someone else",
      mr: deleting(),
      obs: obs({ ownership: { uid: "uid-2" } }),
      expect: "orphan",
      more: { why: "not-owned" },
    },
    {
      name: "never deletes an untagged resource this namespace may not adopt, and says so",
      mr: (() => {
        const m = deleting();
        delete m.metadata.annotations?.[Annotations.externalNameDerived];
        return m;
      })(),
      obs: obs({ ownership: {} }),
      expect: "orphan",
      more: { why: "adoption-refused" },
    },
    {
      name: "deletes an untagged resource that it was allowed to adopt",
      mr: (() => {
        const m = deleting();
        delete m.metadata.annotations?.[Annotations.externalNameDerived];
        return m;
      })(),
      obs: obs({ ownership: {} }),
      adoption: allowed,
      expect: "delete",
    },
    {
      name: "waits while the cloud is deleting it",
      mr: deleting(),
      obs: obs({ deleting: true }),
      expect: "wait",
    },
    {
      name: "deletes a resource without protection",
      mr: deleting(),
      obs: obs(),
      expect: "delete",
      more: { disableDeletionProtection: false },
    },
    {
      name: "refuses while the spec asks for deletion protection",
      mr: deleting(),
      obs: obs(protection(true, true)),
      expect: "refuse",
    },
    {
      name: "refuses while the spec asks for protection the cloud lost",
      mr: deleting(),
      obs: obs(protection(false, true)),
      expect: "refuse",
    },
    {
      name: "refuses protection on in the cloud that the spec does not mention",
      mr: deleting(),
      obs: obs(protection(true, undefined)),
      expect: "refuse",
    },
    {
      name: "turns protection off first when the spec says it is not wanted",
      mr: deleting(),
      obs: obs(protection(true, false)),
      expect: "delete",
      more: { disableDeletionProtection: true },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideDeletion(c.mr, c.obs, c.adoption);
      assert.equal(d.action, c.expect);
      if (c.more) assert.deepEqual(d, { action: c.expect, ...c.more });
    });
  }

  it("says which spec field to change in its refusal", () => {
    const d = decideDeletion(deleting(), obs(protection(true, true)));
    assert.ok(d.action === "refuse");
    assert.equal(d.error.code, "DeletionProtected");
    assert.match(d.error.message, /set spec\.forProvider\.deletionProtection to false/);
    assert.match(d.error.message, /deletionPolicy: Orphan/);
  });
});
