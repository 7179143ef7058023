// Work-queue keys. One queue serves every kind, so a key names the kind as
// well as the object; this is the one place that spells keys out and reads
// them back, so no other module splits strings.

/** A queue key: opaque outside this module, built only by keyOf/encodeKey. */
export type ResourceKey = string & { readonly __resourceKey: true };

export interface KeyParts {
  kind: string;
  /** "" for a cluster-scoped object. */
  namespace: string;
  name: string;
}

// Kinds, namespaces and names never contain "/", so the encoding reads back unambiguously.
export function encodeKey(parts: KeyParts): ResourceKey {
  return `${parts.kind}/${parts.namespace}/${parts.name}` as ResourceKey;
}

export function decodeKey(key: ResourceKey): KeyParts {
  const first = key.indexOf("/");
  const second = key.indexOf("/", first + 1);
  return { kind: key.slice(0, first), namespace: key.slice(first + 1, second), name: key.slice(second + 1) };
}

export function keyOf(kind: string, obj: { metadata: { namespace?: string; name: string } }): ResourceKey {
  return encodeKey({ kind, namespace: obj.metadata.namespace ?? "", name: obj.metadata.name });
}

/** The key a watch cache files the object under: "namespace/name", or "name" when cluster-scoped. */
export function cacheKeyOf(parts: KeyParts): string {
  return parts.namespace ? `${parts.namespace}/${parts.name}` : parts.name;
}
