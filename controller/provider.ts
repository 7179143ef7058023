// The provider contract. The engine holds the policy (when to create, update,
// delete, what counts as drift, how to report it); a provider holds only the
// mapping between a validated spec and one cloud API.
import type { Managed } from "../apis/aws/v1alpha1/common.ts";

/** One managed field whose observed value differs from the desired one. */
export interface FieldDiff {
  /** Path from spec, e.g. "forProvider.allocatedStorage" or "forProvider.listeners[port=80].protocol". */
  path: string;
  desired: unknown;
  observed: unknown;
  /** The value is secret: only the path is ever written anywhere. */
  sensitive?: boolean;
  /**
   * "external" (default): the cloud moved away from the spec, i.e. drift.
   * "reference": the desired value changed through a referenced object, such
   * as a password Secret; it is applied but not counted as drift.
   */
  cause?: "external" | "reference";
}

export type ReadyReason = "Available" | "Creating" | "Deleting" | "Unavailable";

export interface Observation<A = unknown> {
  exists: boolean;
  /** True when nothing needs to change. Providers set it to drift.length === 0 unless they know better. */
  upToDate: boolean;
  drift: FieldDiff[];
  atProvider?: A;
  connectionDetails?: Record<string, string>;
  ready: { status: boolean; reason: ReadyReason; message?: string };
  /**
   * The cloud is busy with this resource (creating, modifying, deleting): do
   * not call update yet, poll faster, and do not count the drift as new.
   */
  inProgress?: boolean;
  /** Tags that identify the owning custom resource, as read from the cloud. */
  ownership?: { owner?: string; uid?: string };
  /** Values for spec.forProvider fields the user left empty, taken from the cloud. */
  lateInit?: Record<string, unknown>;
}

export interface CreateResult {
  connectionDetails?: Record<string, string>;
}

export interface UpdateResult {
  connectionDetails?: Record<string, string>;
  /** Merged over the observation's atProvider, for what the update itself changed. */
  atProvider?: Record<string, unknown>;
}

export interface DeleteResult {
  /** True when the cloud confirmed the resource is gone; otherwise the engine observes again. */
  gone?: boolean;
}

/** A client bound to one resource's credentials and region. */
export interface ExternalClient<F = unknown, A = unknown> {
  observe(mr: Managed<F, A>): Promise<Observation<A>>;
  /** Must be idempotent: a create that finds its own resource succeeds without a second one. */
  create(mr: Managed<F, A>): Promise<CreateResult>;
  update(mr: Managed<F, A>, observation: Observation<A>): Promise<UpdateResult>;
  delete(mr: Managed<F, A>, observation: Observation<A>): Promise<DeleteResult>;
  /**
   * Batched observe for a poll sweep. Returns an observation for every
   * resource in `mrs`, keyed by external name. One call here must cost far
   * fewer cloud calls than one observe per resource.
   */
  observeMany?(mrs: Managed<F, A>[]): Promise<Map<string, Observation<A>>>;
  /** Frees per-connection resources. Shared SDK clients are not closed here. */
  close?(): Promise<void>;
}

/** What a provider may read and write in Kubernetes, without knowing the client. */
export interface KubeAccess {
  getSecret(namespace: string, name: string): Promise<SecretData | undefined>;
  /** Creates or updates a Secret owned by `owner`, so it is garbage-collected with it. */
  applySecret(owner: Managed, name: string, data: Record<string, string>): Promise<void>;
  getClusterObject(
    apiVersion: string,
    kind: string,
    plural: string,
    name: string,
  ): Promise<Record<string, unknown> | undefined>;
}

export interface SecretData {
  resourceVersion: string;
  /** Decoded from base64. */
  data: Record<string, string>;
}

export interface ConnectContext {
  kube: KubeAccess;
  /** Records a cloud call against the shared per-account/region/service budget; resolves when allowed. */
  budget?: CloudCallBudget;
}

export interface CloudCallKey {
  /** Who pays: an account id when known, else the credential source, e.g. "secret:ns/name" or "environment". */
  account: string;
  region: string;
  /** e.g. "rds" or "elbv2". */
  service: string;
  /** The API operation, e.g. "DescribeDBInstances"; counted in metrics, not part of the budget key. */
  operation: string;
}

export interface CloudCallBudget {
  /** Waits for one call's worth of budget for this account, region and service, and counts the call. */
  take(key: CloudCallKey): Promise<void>;
}

/** One provider module per cloud resource kind. */
export interface Provider<F = unknown, A = unknown> {
  /** The kind this provider serves, e.g. "SqlInstance". */
  readonly kind: string;
  connect(mr: Managed<F, A>, ctx: ConnectContext): Promise<ExternalClient<F, A>>;
  /**
   * Groups resources whose batched observation can share one client, such as
   * "account/region/endpoint". Resources with the same key go to one observeMany.
   */
  connectionKey?(mr: Managed<F, A>, ctx: ConnectContext): Promise<string>;
  /**
   * The cloud identifier to use when the user gave none. Must be a pure,
   * deterministic function of namespace and name that yields a valid cloud
   * name, so that a retried create finds the first one.
   */
  deriveExternalName(namespace: string, name: string): string;
}

/**
 * An error the user must fix before a retry can help (bad parameter, quota,
 * a name owned by someone else). The engine sets Synced=False with reason
 * ReconcileTerminal and retries only slowly or on a spec change.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  /** A short machine-readable cause, such as "ForeignOwner" or "InvalidParameter". */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isTerminal(err: unknown): err is TerminalError {
  return err instanceof TerminalError;
}
