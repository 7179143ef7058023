// What the kinds of aws.setpoint.dev/v1alpha1 share beyond the engine's own
// managed-resource schema (controller/api): the group and version, and the
// user tags every AWS resource takes.
import { z } from "zod";
import { defineManagedKind, type ManagedKindDefinition } from "../../../controller/api/index.ts";

export const GROUP = "aws.setpoint.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

export const TagMap = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .meta({ description: "Tags applied to the cloud resource, besides setpoint's own owner and uid tags." });

/** A managed kind of this group and version. */
export function defineAwsKind<F extends z.ZodType, A extends z.ZodType>(
  def: Omit<Parameters<typeof defineManagedKind<F, A>>[0], "group" | "version">,
): ManagedKindDefinition<F, A> {
  return defineManagedKind({ ...def, group: GROUP, version: VERSION });
}
