// Security group rules, flattened. EC2 groups rules into IpPermissions (one
// protocol and port range, many peers), but a rule's identity is one peer:
// (direction, protocol, ports, peer). Both the spec and the observed group
// are flattened into such atomic rules, so drift is reported per rule with a
// stable path ("forProvider.ingress[tcp/5432 from sg-0abc]") and corrected by
// authorizing what is missing and revoking what is extra. Pure functions only.
import type { IpPermission } from "@aws-sdk/client-ec2";
import type { SecurityGroupRule } from "../../../apis/aws/v1alpha1/securitygroup.ts";
import type { FieldDiff } from "../../../controller/provider.ts";

export type Direction = "ingress" | "egress";

export type PeerKind = "cidr" | "cidr6" | "group" | "prefixList";

export interface AtomicRule {
  /** "tcp", "udp", "icmp", "icmpv6", "-1" (every protocol) or another IP protocol number. */
  protocol: string;
  /** Undefined for "-1". For icmp: the type; for tcp and udp: the first port. */
  fromPort: number | undefined;
  /** Undefined for "-1". For icmp: the code; for tcp and udp: the last port. */
  toPort: number | undefined;
  peer: { kind: PeerKind; value: string };
  /** Managed only when the spec gives one. */
  description: string | undefined;
}

/** The one rule AWS gives every new VPC group, and what an absent spec.egress stands for. */
export const DEFAULT_EGRESS: readonly SecurityGroupRule[] = [{ protocol: "all", cidrBlocks: ["0.0.0.0/0"] }];

const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = {
  "6": "tcp",
  "17": "udp",
  "1": "icmp",
  "58": "icmpv6",
};

export function normalProtocol(p: string | undefined): string {
  const lower = (p ?? "-1").toLowerCase();
  if (lower === "all") return "-1";
  return PROTOCOL_NUMBERS[lower] ?? lower;
}

function normalPorts(protocol: string, from: number | undefined, to: number | undefined) {
  if (protocol === "-1") return { fromPort: undefined, toPort: undefined };
  if (protocol === "icmp" || protocol === "icmpv6") return { fromPort: from ?? -1, toPort: to ?? -1 };
  return { fromPort: from, toPort: to ?? from };
}

function normalPeer(kind: PeerKind, value: string): { kind: PeerKind; value: string } {
  return { kind, value: kind === "cidr6" ? value.toLowerCase() : value };
}

/** "tcp/5432", "tcp/8000-8080", "icmp/8:0", "icmp/all", "all". */
function portsText(r: Pick<AtomicRule, "protocol" | "fromPort" | "toPort">): string {
  if (r.protocol === "-1") return "all";
  if (r.protocol === "icmp" || r.protocol === "icmpv6") {
    if (r.fromPort === -1) return `${r.protocol}/all`;
    return r.toPort === -1 ? `${r.protocol}/${r.fromPort}` : `${r.protocol}/${r.fromPort}:${r.toPort}`;
  }
  if (r.fromPort === undefined) return r.protocol;
  return r.fromPort === r.toPort ? `${r.protocol}/${r.fromPort}` : `${r.protocol}/${r.fromPort}-${r.toPort}`;
}

/** A rule's identity as text, e.g. "tcp/5432 from sg-0abc" or "all to 0.0.0.0/0". */
export function ruleKey(direction: Direction, r: AtomicRule): string {
  const peer = r.peer.kind === "prefixList" ? `prefix list ${r.peer.value}` : r.peer.value;
  return `${portsText(r)} ${direction === "ingress" ? "from" : "to"} ${peer}`;
}

export function rulePath(direction: Direction, key: string): string {
  return `forProvider.${direction}[${key}]`;
}

/** The spec's rules, one per peer; a peer listed twice counts once. */
export function flattenSpec(rules: readonly SecurityGroupRule[]): AtomicRule[] {
  const out: AtomicRule[] = [];
  for (const r of rules) {
    const protocol = normalProtocol(r.protocol);
    const ports = normalPorts(protocol, r.fromPort, r.toPort);
    const peers = [
      ...(r.cidrBlocks ?? []).map((v) => normalPeer("cidr", v)),
      ...(r.ipv6CidrBlocks ?? []).map((v) => normalPeer("cidr6", v)),
      ...(r.securityGroupIds ?? []).map((v) => normalPeer("group", v)),
    ];
    for (const peer of peers) out.push({ protocol, ...ports, peer, description: r.description });
  }
  return out;
}

/** What EC2 reports, one rule per peer. */
export function flattenObserved(perms: readonly IpPermission[] | undefined): AtomicRule[] {
  const out: AtomicRule[] = [];
  for (const p of perms ?? []) {
    const protocol = normalProtocol(p.IpProtocol);
    const ports = normalPorts(protocol, p.FromPort, p.ToPort);
    const add = (kind: PeerKind, value: string | undefined, description: string | undefined) => {
      if (value) out.push({ protocol, ...ports, peer: normalPeer(kind, value), description });
    };
    for (const r of p.IpRanges ?? []) add("cidr", r.CidrIp, r.Description);
    for (const r of p.Ipv6Ranges ?? []) add("cidr6", r.CidrIpv6, r.Description);
    for (const g of p.UserIdGroupPairs ?? []) add("group", g.GroupId, g.Description);
    for (const l of p.PrefixListIds ?? []) add("prefixList", l.PrefixListId, l.Description);
  }
  return out;
}

export interface RuleChanges {
  authorize: AtomicRule[];
  revoke: AtomicRule[];
  /** Rules present on both sides whose description is to be set to the spec's. */
  describe: AtomicRule[];
}

export function hasRuleChanges(c: RuleChanges): boolean {
  return c.authorize.length + c.revoke.length + c.describe.length > 0;
}

const byKey = (direction: Direction, rules: readonly AtomicRule[]) => {
  const map = new Map<string, AtomicRule>();
  for (const r of rules) {
    const key = ruleKey(direction, r);
    if (!map.has(key)) map.set(key, r);
  }
  return map;
};

/**
 * The drift between desired and observed rules of one direction, and the
 * calls that remove it. A missing rule is authorized, an extra one revoked,
 * a differing description (when the spec gives one) rewritten.
 */
export function compareRules(
  direction: Direction,
  desired: readonly AtomicRule[],
  observed: readonly AtomicRule[],
): { drift: FieldDiff[]; changes: RuleChanges } {
  const want = byKey(direction, desired);
  const have = byKey(direction, observed);
  const drift: FieldDiff[] = [];
  const changes: RuleChanges = { authorize: [], revoke: [], describe: [] };
  for (const [key, rule] of want) {
    const found = have.get(key);
    const path = rulePath(direction, key);
    if (!found) {
      drift.push({ path, desired: "present", observed: undefined });
      changes.authorize.push(rule);
    } else if (rule.description !== undefined && rule.description !== (found.description ?? "")) {
      drift.push({ path: `${path}.description`, desired: rule.description, observed: found.description });
      changes.describe.push(rule);
    }
  }
  for (const [key, rule] of have) {
    if (want.has(key)) continue;
    drift.push({ path: rulePath(direction, key), desired: undefined, observed: "present" });
    changes.revoke.push(rule);
  }
  drift.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { drift, changes };
}

/** Atomic rules back into IpPermissions, one per protocol and port range, for one EC2 call. */
export function toIpPermissions(rules: readonly AtomicRule[], withDescriptions: boolean): IpPermission[] {
  const groups = new Map<string, IpPermission>();
  for (const r of rules) {
    const id = `${r.protocol}|${r.fromPort}|${r.toPort}`;
    let perm = groups.get(id);
    if (!perm) {
      perm = { IpProtocol: r.protocol };
      if (r.fromPort !== undefined) perm.FromPort = r.fromPort;
      if (r.toPort !== undefined) perm.ToPort = r.toPort;
      groups.set(id, perm);
    }
    const description = withDescriptions && r.description !== undefined ? { Description: r.description } : {};
    const v = r.peer.value;
    if (r.peer.kind === "cidr") perm.IpRanges = [...(perm.IpRanges ?? []), { CidrIp: v, ...description }];
    else if (r.peer.kind === "cidr6")
      perm.Ipv6Ranges = [...(perm.Ipv6Ranges ?? []), { CidrIpv6: v, ...description }];
    else if (r.peer.kind === "group")
      perm.UserIdGroupPairs = [...(perm.UserIdGroupPairs ?? []), { GroupId: v, ...description }];
    else perm.PrefixListIds = [...(perm.PrefixListIds ?? []), { PrefixListId: v, ...description }];
  }
  return [...groups.values()];
}
