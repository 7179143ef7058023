// What the kinds of aws.setpoint.dev/v1alpha1 share beyond the engine's own
// managed-resource schema (controller/api): the group and version, and the
// user tags every AWS resource takes.
import { z } from "zod";
import { defineManagedKind, type ManagedKindDefinition, Tags } from "../../../controller/api/index.ts";

export const GROUP = "aws.setpoint.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/**
 * AWS allows 50 tags per resource (RDS and ELBv2 alike), and setpoint's own
 * owner and uid tags count against them: a user may set the other 48.
 */
export const MAX_USER_TAGS = 48;

/** AWS's tag alphabet: Unicode letters, digits and spaces, and _ . : / = + - @ */
const TAG_CHARACTERS = "^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$";

/**
 * The user tags of a resource, validated up front as AWS documents them, so
 * the answer does not depend on the endpoint (emulators accept anything).
 * `reservedPrefixes`: key prefixes the service keeps for itself ("aws:"
 * everywhere, "rds:" for RDS), compared case-insensitively.
 */
export function tagMap(reservedPrefixes: readonly string[] = ["aws:"]) {
  const prefixes = reservedPrefixes.map((p) => `'${p}'`).join(", ");
  return z.record(z.string().min(1).max(128), z.string().max(256)).meta({
    description: `Tags applied to the cloud resource, besides setpoint's own setpoint.dev/owner and setpoint.dev/uid tags. At most ${MAX_USER_TAGS} (AWS allows 50 per resource, and setpoint's own two count). Keys have 1 to 128 characters, values at most 256, both from letters, digits, spaces and _ . : / = + - @. Keys may not start with ${reservedPrefixes.join(" or ")}, which AWS reserves.`,
    maxProperties: MAX_USER_TAGS,
    "x-kubernetes-validations": [
      {
        rule: "self.all(k, size(k) >= 1 && size(k) <= 128)",
        message: "tag keys must have 1 to 128 characters",
      },
      {
        rule: `self.all(k, ![${prefixes}].exists(p, k.lowerAscii().startsWith(p)))`,
        message: `tag keys starting with ${reservedPrefixes.join(" or ")} are reserved by AWS`,
      },
      {
        rule: `self.all(k, !(k in ['${Tags.owner}', '${Tags.uid}']))`,
        message: `${Tags.owner} and ${Tags.uid} are setpoint's own tags and cannot be set`,
      },
      {
        rule: `self.all(k, k.matches(r'${TAG_CHARACTERS}') && self[k].matches(r'${TAG_CHARACTERS}'))`,
        message: "tag keys and values may contain only letters, digits, spaces and _ . : / = + - @",
      },
    ],
  });
}

export const TagMap = tagMap();

/** A managed kind of this group and version. */
export function defineAwsKind<F extends z.ZodType, A extends z.ZodType>(
  def: Omit<Parameters<typeof defineManagedKind<F, A>>[0], "group" | "version">,
): ManagedKindDefinition<F, A> {
  return defineManagedKind({ ...def, group: GROUP, version: VERSION });
}
