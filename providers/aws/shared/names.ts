// Derived cloud names that must fit a service's limit: cut, with a hash of
// the whole identity, so two long names that share a head stay apart and a
// retried create derives the very same name.
import { createHash } from "node:crypto";

export const NAME_HASH_LENGTH = 8;

/** `head-<8 hex>` of at most `max` characters, the hash taken over `identity`. */
export function cutWithHash(raw: string, max: number, identity: string, prefix = ""): string {
  const hash = createHash("sha256").update(identity).digest("hex").slice(0, NAME_HASH_LENGTH);
  return `${prefix}${raw.slice(0, max - NAME_HASH_LENGTH - 1 - prefix.length)}-${hash}`;
}
