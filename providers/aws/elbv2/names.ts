// Deterministic AWS names for a LoadBalancer and its target groups. ELBv2
// names are at most 32 characters of [a-zA-Z0-9-], without a leading or
// trailing hyphen, and unique per account and region. Because they are pure
// functions of their inputs, a create whose response was lost finds its first
// attempt by name instead of making a second one.
import { createHash } from "node:crypto";

export const MAX_NAME_LENGTH = 32;
const HASH_LENGTH = 8;
/** Room for the readable part: the name minus "-" and the hash. */
const READABLE_LENGTH = MAX_NAME_LENGTH - HASH_LENGTH - 1;
/** How much of a target group's local name stays readable in its AWS name. */
const LOCAL_READABLE_LENGTH = 12;

/** AWS reserves this prefix for the DNS names of internal load balancers. */
const RESERVED_LB_PREFIX = "internal-";

const VALID_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;

export function isValidElbName(name: string): boolean {
  return VALID_NAME.test(name) && !name.toLowerCase().startsWith(RESERVED_LB_PREFIX);
}

function shortHash(input: string): string {
  return createHash("sha256").update(input).digest("hex").slice(0, HASH_LENGTH);
}

function sanitize(s: string): string {
  return s.replace(/[^a-zA-Z0-9-]+/g, "-").replace(/-{2,}/g, "-");
}

function trimHyphens(s: string): string {
  return s.replace(/^-+/, "").replace(/-+$/, "");
}

/**
 * A readable prefix plus a hash of the exact inputs. The hash is always
 * there: "a-b" + "c" and "a" + "b-c" read the same, and two resources must
 * never derive one name.
 */
function hashedName(readable: string, hashInput: string): string {
  const base = trimHyphens(sanitize(readable).slice(0, READABLE_LENGTH));
  const hash = shortHash(hashInput);
  return base ? `${base}-${hash}` : hash;
}

/** The load balancer name for a LoadBalancer without an external-name annotation. */
export function deriveLoadBalancerName(namespace: string, name: string): string {
  let readable = trimHyphens(sanitize(`${namespace}-${name}`));
  if (readable.toLowerCase().startsWith(RESERVED_LB_PREFIX)) readable = `lb-${readable}`;
  // "/" cannot occur in either Kubernetes name, so the hash input is unambiguous.
  return hashedName(readable, `${namespace}/${name}`);
}

/** The AWS name of target group `localName` of the load balancer named `lbName`. */
export function targetGroupAwsName(lbName: string, localName: string): string {
  const local = trimHyphens(sanitize(localName).slice(0, LOCAL_READABLE_LENGTH));
  const lbRoom = Math.max(0, READABLE_LENGTH - local.length - 1);
  const lb = trimHyphens(sanitize(lbName).slice(0, lbRoom));
  // "\n" cannot occur in either name.
  return hashedName(lb ? `${lb}-${local}` : local, `${lbName}\n${localName}`);
}
