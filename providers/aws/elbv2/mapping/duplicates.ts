// Load balancers that share this resource's name: only possible where names
// are not unique (moto, after a create that was sent twice), and never left
// in place. Each one tagged with our uid is deleted, before anything else is
// changed; one that is not ours is reported and left alone.
import { Tags } from "../../../../controller/api/index.ts";
import { SetpointCodes } from "../../shared/index.ts";
import { isOwned } from "./ownership.ts";
import type { DesiredContext, PartComparison, UpdateOp } from "./plan.ts";

/** The drift path that lists the duplicates' ARNs. */
export const DUPLICATES_PATH = "(duplicates)";

export interface ObservedDuplicate {
  arn: string;
  /** Undefined when not read. */
  tags?: Record<string, string>;
}

export function compareDuplicates(
  observed: { name: string; duplicates?: readonly ObservedDuplicate[] },
  ctx: DesiredContext,
): PartComparison {
  const duplicates = observed.duplicates ?? [];
  if (duplicates.length === 0) return { drift: [], blocked: [], ops: {} };
  const deletes: UpdateOp[] = [];
  const blocked: PartComparison["blocked"] = [];
  for (const d of duplicates) {
    if (isOwned(d.tags, ctx.uid)) {
      deletes.push({ kind: "DeleteDuplicateLoadBalancer", arn: d.arn });
    } else {
      const owner = d.tags?.[Tags.owner];
      blocked.push({
        code: SetpointCodes.ForeignOwner,
        message: `another load balancer is also named ${observed.name} (${d.arn}${owner ? `, owner ${owner}` : ", no setpoint owner tag"}); setpoint leaves it alone: delete or rename it`,
      });
    }
  }
  return {
    drift: [{ path: DUPLICATES_PATH, desired: [], observed: duplicates.map((d) => d.arn).sort() }],
    blocked,
    ops: { deleteDuplicates: deletes },
  };
}
