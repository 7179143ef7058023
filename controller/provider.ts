// The provider contract. The engine holds the policy (when to create, update,
// delete, what counts as drift, whose resource it is, whether protection may
// be lifted, how to report it); a provider holds only the mapping between a
// validated spec and one cloud API, and reports facts in its observation.
import type { Managed } from "./api/managed.ts";

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

/**
 * What a provider found in the cloud. `P` is the provider's private state:
 * whatever observe() learnt that update() and delete() need (an ARN map, a
 * change plan), handed back unchanged with this same observation.
 */
export interface Observation<A = unknown, P = unknown> {
  exists: boolean;
  /**
   * The cloud is already deleting the resource: a delete call was accepted
   * and the engine only waits for it to go, without calling delete() again.
   */
  deleting?: boolean;
  drift: FieldDiff[];
  atProvider?: A;
  connectionDetails?: Record<string, string>;
  ready: { status: boolean; reason: ReadyReason; message?: string };
  /**
   * The cloud is busy with this resource (creating, modifying, deleting): do
   * not call update yet, poll faster, and do not count the drift as new.
   */
  inProgress?: boolean;
  /**
   * Tags that identify the owning custom resource, as read from the cloud.
   * They are the only proof of ownership: without a uid tag the engine treats
   * the resource as one setpoint did not create, whose use is adoption.
   */
  ownership?: { owner?: string; uid?: string };
  /** Values for spec.forProvider fields the user left empty, taken from the cloud. */
  lateInit?: Record<string, unknown>;
  /**
   * Deletion protection, for kinds that have it: whether it is on in the
   * cloud, what the spec asks for (undefined: the spec does not say), and
   * the spec field that says it, for messages. The engine decides from these
   * whether a delete is refused or may turn the protection off first.
   */
  deletionProtection?: { enabled: boolean; requested: boolean | undefined; field: string };
  /** Private to the provider; never written to status, logs or events. */
  private?: P;
}

export interface CreateResult {
  connectionDetails?: Record<string, string>;
  /**
   * The name is taken: the cloud already holds a resource by this name, and
   * nothing was created. The engine observes it again and applies its
   * ownership rule (its own lost create, adoptable, or someone else's).
   */
  alreadyExists?: boolean;
}

export interface UpdateResult {
  connectionDetails?: Record<string, string>;
  /** Merged over the observation's atProvider, for what the update itself changed. */
  atProvider?: Record<string, unknown>;
}

export interface DeleteOptions {
  /** The engine decided that protection, on in the cloud, is to be turned off before the delete. */
  disableDeletionProtection?: boolean;
}

export interface DeleteResult {
  /** True when the cloud confirmed the resource is gone; otherwise the engine observes again. */
  gone?: boolean;
}

/** A client bound to one resource's credentials and region. */
export interface ExternalClient<F = unknown, A = unknown, P = unknown> {
  observe(mr: Managed<F, A>): Promise<Observation<A, P>>;
  /** Must be idempotent: a create that finds its name taken reports alreadyExists and creates nothing. */
  create(mr: Managed<F, A>): Promise<CreateResult>;
  update(mr: Managed<F, A>, observation: Observation<A, P>): Promise<UpdateResult>;
  delete(mr: Managed<F, A>, observation: Observation<A, P>, options: DeleteOptions): Promise<DeleteResult>;
  /**
   * Batched observe for a poll sweep. Returns an observation for every
   * resource in `mrs`, keyed by external name. One call here must cost far
   * fewer cloud calls than one observe per resource.
   */
  observeMany?(mrs: Managed<F, A>[]): Promise<Map<string, Observation<A, P>>>;
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

/** A token bucket's size, for one account, region and service. */
export interface BudgetLimits {
  /** Sustained calls per second. */
  ratePerSecond: number;
  /** Calls allowed at once after a quiet spell. */
  burst: number;
}

/** One provider module per cloud resource kind. `P` is the private state its observations carry. */
export interface Provider<F = unknown, A = unknown, P = unknown> {
  connect(mr: Managed<F, A>, ctx: ConnectContext): Promise<ExternalClient<F, A, P>>;
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
  /**
   * The cloud services this provider calls (the `service` of its budget
   * keys), each with its default budget, set below the cloud's own limits.
   * Operators override them with --cloud-budget.
   */
  readonly services?: Readonly<Record<string, BudgetLimits>>;
  /**
   * What is wrong with `name` as this kind's cloud identifier (the
   * setpoint.dev/external-name annotation a user wrote), or undefined when
   * the cloud would accept it. The engine refuses a bad name before any
   * cloud call, with a terminal condition that gives this reason.
   */
  checkExternalName?(name: string): string | undefined;
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

/**
 * Not an error, but not done either: the cloud needs time before the next
 * step can work (a resource not visible yet right after its create). The
 * engine looks again after exactly this delay, without growing a backoff,
 * and says so in the Synced condition. After kopf's TemporaryError(delay)
 * and ACK's requeue.NeededAfter.
 */
export class RetryAfterError extends Error {
  override readonly name = "RetryAfterError";
  readonly delayMs: number;
  constructor(message: string, delaySeconds: number, options?: { cause?: unknown }) {
    super(message, options);
    if (!(delaySeconds > 0)) throw new RangeError(`retry delay must be > 0 seconds, got ${delaySeconds}`);
    this.delayMs = Math.round(delaySeconds * 1000);
  }
}

/**
 * Something the resource names in Kubernetes (a Secret, or a key in it) is
 * missing or holds nothing usable, found before any cloud call. Not
 * terminal: the Secret may appear at any moment, so the engine retries with
 * backoff, and reports it under the "resolve references" step
 * (CannotResolveResourceReferences), not as a failure to connect.
 */
export class UnresolvedReferenceError extends Error {
  override readonly name: string = "UnresolvedReferenceError";
}

/**
 * A cloud resource found mid-call (a sub-resource such as a target group,
 * or one that changed hands since it was observed) carries another owner's
 * tags. The provider stops before touching it and reports the fact; the
 * engine treats it like any other foreign resource.
 */
export class ForeignResourceError extends Error {
  override readonly name = "ForeignResourceError";
  /** What was found, e.g. "target group team-a-web-api". */
  readonly what: string;
  /** The owner tag, when the resource has one. */
  readonly owner: string | undefined;
  constructor(what: string, owner: string | undefined) {
    super(`${what} exists and belongs to another resource${owner ? ` (${owner})` : ""}`);
    this.what = what;
    this.owner = owner;
  }
}
