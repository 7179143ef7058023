// The catalogue of bad inputs (test/e2e/bad-inputs.test.ts runs it): what a
// new user might apply, each with the answer setpoint owes them. One file per
// kind holds that kind's entries (sqlinstance.ts, loadbalancer.ts,
// securitygroup.ts, dbsubnetgroup.ts, providerconfig.ts, managed.ts for the
// fields every managed kind shares, and references.ts for the fields that
// name other resources); a new kind joins with a file of its own and one line
// in index.ts.
//
// Two answers are clear, and every entry asserts one of them:
// - rejected at admission: the API server refuses the object (or the change)
//   with a cause that names the field and says what is wrong;
// - answered by the controller: the object is accepted (what is wrong can only
//   be seen later: a Secret, the cloud's own refusal, an annotation), and the
//   running controller sets Synced=False with a reason, a message and an
//   Event, spending at most a few cloud calls on it, and none in a loop. A
//   reference to a resource that is not there is not a failure but a wait:
//   Synced=False ReferenceNotReady, a Normal Event, and no cloud call at all.

import type { EC2Client } from "@aws-sdk/client-ec2";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { RDSClient } from "@aws-sdk/client-rds";

/** The managed kinds the catalogue covers. */
export const MANAGED_CATALOGUE_KINDS = [
  "SqlInstance",
  "LoadBalancer",
  "SecurityGroup",
  "DBSubnetGroup",
] as const;
export type ManagedCatalogueKind = (typeof MANAGED_CATALOGUE_KINDS)[number];
export type CatalogueKind = ManagedCatalogueKind | "ProviderConfig";

/** What kind of mistake an entry is, for the report and to see that every kind of mistake is covered. */
export const CATEGORIES = [
  "wrong type",
  "out of range",
  "unknown enum value",
  "unknown field",
  "empty or huge string",
  "name AWS refuses",
  "AWS limit",
  "immutable field",
  "cross-field rule",
  "contradictory policy",
  "bad duration",
  "malformed annotation",
  "Secret",
  "cloud refusal",
  "ownership",
] as const;
export type Category = (typeof CATEGORIES)[number];

export type Json = Record<string, unknown>;

/** Refused by the API server. */
export interface RejectedEntry {
  /** Reads as a sentence after "rejects": "a SqlInstance with 60 tags". */
  name: string;
  kind: CatalogueKind;
  category: Category;
  /** The object's spec, and for managed kinds its annotations; the test names it. */
  spec: Json;
  annotations?: Record<string, string>;
  /** metadata.name, when the name itself is the mistake. */
  metadataName?: string;
  /** A change to an immutable field: this merge patch is applied to the object made from `spec`. */
  patch?: Json;
  /**
   * An unknown field: rejected with fieldValidation=Strict (what kubectl
   * sends by default); the test also asserts the API server's Warning under
   * the default, where the field is pruned.
   */
  strict?: true;
  expect: { field: string; message: string | RegExp };
}

/** What an answered entry may use: its own ProviderConfig in front of its own fault proxy. */
export interface AnswerContext {
  namespace: string;
  /** The object's name. */
  name: string;
  /** The entry's ProviderConfig, pointing at `endpoint`. */
  providerConfig: string;
  /** The entry's own AWS endpoint: a fault proxy that counts its calls. */
  endpoint: string;
  region: string;
  /** Straight to the emulator, for what the entry finds in the cloud beforehand. */
  rds: RDSClient;
  elb: ElasticLoadBalancingV2Client;
  ec2: EC2Client;
}

export interface SecretSpec {
  namespace: string;
  name: string;
  data: Record<string, string>;
}

/** Accepted, then answered by the controller with a condition and an Event. */
export interface AnsweredEntry {
  name: string;
  /** The kind at fault; the condition is on the managed resource (for a ProviderConfig: one that uses it). */
  kind: CatalogueKind;
  category: Category;
  resource: (c: AnswerContext) => {
    kind: ManagedCatalogueKind;
    spec: Json;
    annotations?: Record<string, string>;
  };
  /** The entry's ProviderConfig spec, when it is the bad part; default: emulator credentials at `endpoint`. */
  providerConfig?: (c: AnswerContext) => Json;
  secrets?: (c: AnswerContext) => SecretSpec[];
  /** Puts what the entry needs into the cloud first (someone else's resource, ...). */
  inCloud?: (c: AnswerContext) => Promise<void>;
  expect: {
    /**
     * ReconcileTerminal (the spec or the cloud must change), ReconcileError (retried with backoff), or
     * ReferenceNotReady (a wait for another resource, which ends by itself once it is there).
     */
    reason: "ReconcileTerminal" | "ReconcileError" | "ReferenceNotReady";
    message: RegExp;
    /** The Event's reason. */
    event: string;
    /** The Event's type: Warning, except for a wait (ReferenceNotReady), which is Normal. */
    eventType?: "Warning" | "Normal";
    /** Most calls its proxy may see over the whole window, the first attempt included. */
    maxCloudCalls: number;
  };
}

export type Entry = ({ outcome: "rejected" } & RejectedEntry) | ({ outcome: "answered" } & AnsweredEntry);

export const rejected = (e: RejectedEntry): Entry => ({ outcome: "rejected", ...e });
export const answered = (e: AnsweredEntry): Entry => ({ outcome: "answered", ...e });

/** `base` with `patch` merged in, objects key by key; arrays and values replace. */
export function merge(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = out[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? merge(b as Json, v as Json)
        : v;
  }
  return out;
}

/** `base` with forProvider changed by `patch`. */
export const withForProvider = (base: Json, patch: Json): Json => merge(base, { forProvider: patch });

/** `n` tags: k1=v, k2=v, ... */
export const tags = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i + 1}`, "v"]));
