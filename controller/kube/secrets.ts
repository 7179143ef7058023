// Owned Secrets, shared by the connection-secret writer and KubeAccess.applySecret. A Secret setpoint
// writes for a managed resource carries a controller ownerReference to it, so Kubernetes' garbage
// collector deletes it with the resource and nobody has to remember to. The write is create-or-replace
// guarded by resourceVersion, and it refuses to take over a Secret that another object controls: a
// user who points writeConnectionSecretToRef at someone else's Secret gets an error, not a silently
// overwritten Secret. Values are never put into error messages.
import { createHash } from "node:crypto";
import type { V1OwnerReference, V1Secret } from "@kubernetes/client-node";
import type { Managed } from "../api/index.ts";
import { TerminalError } from "../provider.ts";
import { type KubeClient, objectPath } from "./client.ts";
import { httpStatus, isNotFound, wrapApiError } from "./errors.ts";

/** The ownerReference that ties a Secret's lifetime to its managed resource. */
export function ownerReferenceTo(owner: Managed): V1OwnerReference {
  if (!owner.metadata.uid)
    throw new Error(`${owner.kind} ${owner.metadata.name} has no uid; it must be read from the API first`);
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function encodeData(data: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, "utf8").toString("base64");
  return out;
}

export function decodeData(data: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data ?? {})) out[k] = Buffer.from(v, "base64").toString("utf8");
  return out;
}

/** A digest of a Secret's name, type and data; order-independent. Only digests are kept in memory, never values. */
export function dataHash(name: string, type: string, data: Record<string, string>): string {
  const h = createHash("sha256");
  h.update(`${name}\0${type}\0`);
  for (const k of Object.keys(data).sort()) h.update(`${k}\0${data[k]}\0`);
  return h.digest("hex");
}

/** True when the live Secret already holds exactly this data and type and is controlled by `owner`. */
export function secretMatches(
  live: V1Secret,
  owner: Managed,
  type: string,
  data: Record<string, string>,
): boolean {
  if ((live.type ?? "Opaque") !== type) return false;
  if (!controlledBy(live, owner.metadata.uid)) return false;
  const current = decodeData(live.data);
  const keys = Object.keys(data);
  if (Object.keys(current).length !== keys.length) return false;
  return keys.every((k) => current[k] === data[k]);
}

function controllerOf(secret: V1Secret): V1OwnerReference | undefined {
  return secret.metadata?.ownerReferences?.find((r) => r.controller === true);
}

function controlledBy(secret: V1Secret, uid: string | undefined): boolean {
  return uid !== undefined && controllerOf(secret)?.uid === uid;
}

/** An earlier object of the same kind and name (so gone now), by its ownerReference. */
function isPredecessor(ref: V1OwnerReference, owner: V1OwnerReference): boolean {
  const group = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");
  return (
    ref.uid !== owner.uid &&
    ref.kind === owner.kind &&
    ref.name === owner.name &&
    group(ref.apiVersion) === group(owner.apiVersion)
  );
}

/** Terminal: retrying cannot help until someone renames or removes the other Secret. */
export class SecretOwnedByOtherError extends TerminalError {
  constructor(message: string) {
    super("SecretOwnedByOther", message);
  }
}

const SECRETS = { group: "", version: "v1", plural: "secrets" };

/** Reads a Secret (the wire format: metadata times are strings); undefined when absent. */
export async function readSecret(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs?: number,
): Promise<V1Secret | undefined> {
  try {
    return await client.request<V1Secret>("GET", objectPath(SECRETS, namespace, name), {
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw wrapApiError(err, `reading Secret ${namespace}/${name}`);
  }
}

/**
 * Creates the Secret, or replaces its data when it exists and is ours (or has no controller, which
 * adopts a Secret left behind by a deleted owner of the same name). Returns the Secret as it now is on
 * the server, and whether this call wrote it (false: it already held this data).
 */
export async function upsertOwnedSecret(
  client: KubeClient,
  owner: Managed,
  name: string,
  type: string,
  data: Record<string, string>,
  opts: { live?: V1Secret | null; timeoutMs?: number } = {},
): Promise<{ wrote: boolean; secret: V1Secret }> {
  const namespace = owner.metadata.namespace ?? "";
  const timeout = opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {};
  const ownerRef = ownerReferenceTo(owner);
  // Two rounds: a concurrent writer (a second replica finishing its last reconcile) can win the first.
  for (let attempt = 0; attempt < 3; attempt++) {
    const live =
      attempt === 0 && opts.live !== undefined
        ? (opts.live ?? undefined)
        : await readSecret(client, namespace, name, opts.timeoutMs);
    try {
      if (live === undefined) {
        const secret = await client.request<V1Secret>(
          "POST",
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
          {
            body: {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name, namespace, ownerReferences: [ownerRef] },
              type,
              data: encodeData(data),
            },
            ...timeout,
          },
        );
        return { wrote: true, secret };
      }
      const controller = controllerOf(live);
      // A controller of this kind and name with another uid was this resource's predecessor: deleted
      // (a namespace holds one object of a kind and name), its Secret not yet garbage-collected. The
      // successor takes the Secret over; refusing would leave it failing until the collector runs, and
      // for good where none runs.
      const predecessor = controller !== undefined && isPredecessor(controller, ownerRef);
      if (controller && controller.uid !== ownerRef.uid && !predecessor) {
        throw new SecretOwnedByOtherError(
          `Secret ${namespace}/${name} is controlled by ${controller.kind} ${controller.name}, not by ${owner.kind} ${owner.metadata.name}`,
        );
      }
      if (secretMatches(live, owner, type, data)) return { wrote: false, secret: live };
      if (!controller && Object.keys(live.data ?? {}).length > 0) {
        // Someone else's Secret that happens to have this name: taking it
        // over would overwrite their data and garbage-collect it with ours.
        throw new SecretOwnedByOtherError(
          `Secret ${namespace}/${name} already exists with data and is not controlled by ${owner.kind} ${owner.metadata.name}; setpoint will not overwrite it. Rename or delete it.`,
        );
      }
      if ((live.type ?? "Opaque") !== type) {
        // type is immutable: the Secret must be re-created under the new type.
        throw new SecretOwnedByOtherError(
          `Secret ${namespace}/${name} has type ${live.type ?? "Opaque"}, expected ${type}; delete it to let setpoint recreate it`,
        );
      }
      const others = (live.metadata?.ownerReferences ?? []).filter(
        (r) => r.uid !== ownerRef.uid && !isPredecessor(r, ownerRef),
      );
      const secret = await client.request<V1Secret>("PUT", objectPath(SECRETS, namespace, name), {
        body: {
          ...live,
          metadata: { ...live.metadata, name, namespace, ownerReferences: [...others, ownerRef] },
          data: encodeData(data),
          type,
        },
        ...timeout,
      });
      return { wrote: true, secret };
    } catch (err) {
      // 409: someone created it (AlreadyExists) or changed it (Conflict) since we read; read again.
      if (httpStatus(err) !== 409 || attempt === 2)
        throw wrapApiError(err, `writing Secret ${namespace}/${name}`);
    }
  }
  throw new Error(`writing Secret ${namespace}/${name}: gave up after repeated conflicts`);
}
