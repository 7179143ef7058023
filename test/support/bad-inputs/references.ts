// Bad references: the SqlInstance and LoadBalancer fields that name a
// DBSubnetGroup or SecurityGroup (controller/api/references.ts). A reference
// names a resource in its own namespace only, so one with a namespace is
// refused at admission; one whose target is not there is not an error but a
// wait (ReferenceNotReady), with no cloud call until the target is Ready.
import { answered, type Entry, type Json, rejected, withForProvider } from "./catalogue.ts";
import { LB_BASE } from "./loadbalancer.ts";
import { SQL_BASE } from "./sqlinstance.ts";

const FP = "spec.forProvider";
const ELSEWHERE = "references stay in the resource's own namespace";

type Category = Parameters<typeof rejected>[0]["category"];

/** SQL_BASE without its pasted subnet group name: the reference stands for it. */
const SQL_BY_REF: Json = withForProvider(SQL_BASE, { dbSubnetGroupName: undefined });

function badSql(name: string, category: Category, patch: Json, field: string, message: string | RegExp) {
  return rejected({
    name: `a SqlInstance with ${name}`,
    kind: "SqlInstance",
    category,
    spec: withForProvider(SQL_BY_REF, patch),
    expect: { field: field === "" ? FP : `${FP}.${field}`, message },
  });
}

function badLb(name: string, category: Category, patch: Json, field: string, message: string | RegExp) {
  return rejected({
    name: `a LoadBalancer with ${name}`,
    kind: "LoadBalancer",
    category,
    spec: withForProvider(LB_BASE, patch),
    expect: { field: field === "" ? FP : `${FP}.${field}`, message },
  });
}

/** Answered by a wait: Synced=False ReferenceNotReady naming what is missing, a Normal Event, no cloud call. */
function waits(
  name: string,
  kind: "SqlInstance" | "LoadBalancer",
  base: Json,
  patch: Json,
  message: RegExp,
): Entry {
  return answered({
    name: `a ${kind} ${name}`,
    kind,
    category: "cross-field rule",
    resource: (c) => ({
      kind,
      spec: withForProvider({ ...base, providerConfigRef: { name: c.providerConfig } }, patch),
    }),
    expect: {
      reason: "ReferenceNotReady",
      message,
      event: "CannotResolveResourceReferences",
      eventType: "Normal",
      maxCloudCalls: 0,
    },
  });
}

export const REFERENCE_ENTRIES: Entry[] = [
  // The namespace boundary.
  badSql(
    "a dbSubnetGroupNameRef to another namespace",
    "cross-field rule",
    { dbSubnetGroupNameRef: { name: "shared", namespace: "platform" } },
    "dbSubnetGroupNameRef",
    ELSEWHERE,
  ),
  badSql(
    "a vpcSecurityGroupIdRefs entry in another namespace",
    "cross-field rule",
    { vpcSecurityGroupIdRefs: [{ name: "db" }, { name: "shared", namespace: "platform" }] },
    "vpcSecurityGroupIdRefs[1]",
    ELSEWHERE,
  ),
  badLb(
    "a securityGroupRefs entry in another namespace",
    "cross-field rule",
    { securityGroupRefs: [{ name: "web", namespace: "platform" }] },
    "securityGroupRefs[0]",
    ELSEWHERE,
  ),
  // Shapes.
  badSql(
    "a dbSubnetGroupNameRef with an empty name",
    "empty or huge string",
    { dbSubnetGroupNameRef: { name: "" } },
    "dbSubnetGroupNameRef.name",
    /at least 1 chars/,
  ),
  badSql(
    "a dbSubnetGroupNameRef given as a plain string",
    "wrong type",
    { dbSubnetGroupNameRef: "shop-subnets" },
    "dbSubnetGroupNameRef",
    "must be of type object",
  ),
  badSql(
    "vpcSecurityGroupIdRefs as one object, not a list",
    "wrong type",
    { vpcSecurityGroupIdRefs: { name: "db" } },
    "vpcSecurityGroupIdRefs",
    "must be of type array",
  ),
  badSql(
    "a selector whose matchLabels is a string",
    "wrong type",
    { vpcSecurityGroupIdSelector: { matchLabels: "app=db" } },
    "vpcSecurityGroupIdSelector.matchLabels",
    "must be of type object",
  ),
  badLb(
    "six securityGroupRefs, one more than ELBv2 allows groups",
    "AWS limit",
    { securityGroupRefs: Array.from({ length: 6 }, (_, i) => ({ name: `g${i}` })) },
    "securityGroupRefs",
    /must have at most 5 items|Too many/,
  ),
  rejected({
    name: "a SqlInstance with an unknown field in a reference (kind)",
    kind: "SqlInstance",
    category: "unknown field",
    spec: withForProvider(SQL_BY_REF, { dbSubnetGroupNameRef: { name: "shop", kind: "DBSubnetGroup" } }),
    strict: true,
    expect: { field: `${FP}.dbSubnetGroupNameRef.kind`, message: "unknown field" },
  }),
  // Contradictions.
  badSql(
    "both vpcSecurityGroupIdRefs and vpcSecurityGroupIdSelector",
    "contradictory policy",
    { vpcSecurityGroupIdRefs: [{ name: "db" }], vpcSecurityGroupIdSelector: { matchLabels: { app: "db" } } },
    "",
    "give vpcSecurityGroupIdRefs or vpcSecurityGroupIdSelector, not both",
  ),
  badLb(
    "securityGroupRefs on a network load balancer",
    "cross-field rule",
    { type: "network", securityGroupRefs: [{ name: "web" }] },
    "",
    "securityGroupRefs and securityGroupSelector are supported only for application load balancers",
  ),
  rejected({
    name: "a change of a SqlInstance's dbSubnetGroupNameRef, which would move it to another VPC",
    kind: "SqlInstance",
    category: "immutable field",
    spec: withForProvider(SQL_BY_REF, { dbSubnetGroupNameRef: { name: "shop" } }),
    patch: { spec: { forProvider: { dbSubnetGroupNameRef: { name: "other" } } } },
    expect: { field: `${FP}.dbSubnetGroupNameRef`, message: "dbSubnetGroupNameRef is immutable" },
  }),
  // Targets that are not there: a wait, not a failure.
  waits(
    "whose dbSubnetGroupNameRef names a DBSubnetGroup that does not exist",
    "SqlInstance",
    SQL_BY_REF,
    { dbSubnetGroupNameRef: { name: "no-such-subnets" } },
    /^cannot resolve references: waiting for DBSubnetGroup [^ ]+\/no-such-subnets \(not found\)/,
  ),
  waits(
    "whose vpcSecurityGroupIdSelector matches no SecurityGroup",
    "SqlInstance",
    SQL_BASE,
    { vpcSecurityGroupIdSelector: { matchLabels: { app: "nothing-has-this" } } },
    /waiting for a SecurityGroup in [^ ]+ with labels \{"app":"nothing-has-this"\}/,
  ),
  waits(
    "whose securityGroupRefs name a SecurityGroup that does not exist",
    "LoadBalancer",
    LB_BASE,
    { securityGroupRefs: [{ name: "no-such-group" }] },
    /waiting for SecurityGroup [^ ]+\/no-such-group \(not found\)/,
  ),
];
