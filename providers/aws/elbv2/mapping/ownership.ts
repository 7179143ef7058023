// Which cloud parts carry this resource's uid. Read from tags only; what to
// do about a foreign part is the caller's (and, in the end, the engine's) call.
import { Tags } from "../../../../controller/api/index.ts";

/** Tagged with our uid: we created (or adopted) it and may change or delete it. */
export function isOwned(tags: Record<string, string> | undefined, uid: string | undefined): boolean {
  return uid !== undefined && tags?.[Tags.uid] === uid;
}

/** Tagged with another resource's uid: never touched. Untagged is not foreign. */
export function isForeign(tags: Record<string, string> | undefined, uid: string | undefined): boolean {
  const tagged = tags?.[Tags.uid];
  return tagged !== undefined && tagged !== uid;
}
