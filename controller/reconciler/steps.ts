// The steps of a reconcile, and the error that names the one that failed.
// Every failure reaches the user as a Synced=False condition and an Event;
// both must say which call failed, in crossplane-runtime's words ("cannot
// observe external resource: <what the cloud said>"), so that a user can
// tell a credentials problem from a refused create without reading logs.
import {
  ForeignResourceError,
  isTerminal,
  RetryAfterError,
  TerminalError,
  UnresolvedReferenceError,
} from "../provider.ts";
import { Reason } from "./conditions.ts";
import { ObjectGoneError } from "./ports.ts";
import { ReferenceNotReadyError, StillReferencedError } from "./references.ts";

export const Step = {
  Initialize: "initialize",
  /** Finalizer, external-name and create-succeeded annotations: writes to the custom resource itself. */
  UpdateManaged: "update managed resource",
  /** Resolving references to other resources (references.ts), before connect. */
  ResolveReferences: "resolve references",
  /** The tenancy gate: may this namespace use the config it names (controller/reconciler/tenancy.ts)? */
  Authorize: "authorize",
  Connect: "connect",
  Observe: "observe",
  /** Whether the cloud resource is ours to change: the ownership and adoption rule. */
  Ownership: "ownership",
  Create: "create",
  Update: "update",
  Delete: "delete",
  LateInitialize: "late-init",
  PublishConnection: "publish connection Secret",
  WriteStatus: "write status",
} as const;
export type Step = (typeof Step)[keyof typeof Step];

/** What each step failing means, as the start of a condition message. */
export const StepMessage: Readonly<Record<Step, string>> = {
  [Step.Initialize]: "cannot initialize managed resource",
  [Step.UpdateManaged]: "cannot update managed resource",
  [Step.ResolveReferences]: "cannot resolve references",
  [Step.Authorize]: "cannot use provider config",
  [Step.Connect]: "cannot connect to provider",
  [Step.Observe]: "cannot observe external resource",
  [Step.Ownership]: "cannot manage external resource",
  [Step.Create]: "cannot create external resource",
  [Step.Update]: "cannot update external resource",
  [Step.Delete]: "cannot delete external resource",
  [Step.LateInitialize]: "cannot late-initialize managed resource",
  [Step.PublishConnection]: "cannot publish connection details",
  [Step.WriteStatus]: "cannot write status",
};

/** The Event reason for each step failing, as users see it in `kubectl describe`. */
export const FailureReason = {
  [Step.Initialize]: "CannotInitializeManagedResource",
  [Step.UpdateManaged]: "CannotUpdateManagedResource",
  [Step.ResolveReferences]: "CannotResolveResourceReferences",
  [Step.Authorize]: "CannotUseProviderConfig",
  [Step.Connect]: "CannotConnectToProvider",
  [Step.Observe]: "CannotObserveExternalResource",
  [Step.Ownership]: "CannotManageExternalResource",
  [Step.Create]: "CannotCreateExternalResource",
  [Step.Update]: "CannotUpdateExternalResource",
  [Step.Delete]: "CannotDeleteExternalResource",
  [Step.LateInitialize]: "CannotLateInitialize",
  [Step.PublishConnection]: "CannotPublishConnectionDetails",
  [Step.WriteStatus]: "CannotWriteStatus",
} as const satisfies Record<Step, string>;

/** Codes of terminal conditions the engine itself raises. */
export const TerminalCode = {
  ForeignOwner: "ForeignOwner",
  UntaggedResourceExists: "UntaggedResourceExists",
  InvalidManagementPolicies: "InvalidManagementPolicies",
  DeletionProtected: "DeletionProtected",
  /** An engine annotation (paused, external-name) has a value the engine cannot use. */
  InvalidAnnotation: "InvalidAnnotation",
  /** The namespace is outside the config's namespaceSelector. */
  NamespaceNotAllowed: "NamespaceNotAllowed",
  /** The cloud resource exists without owner tags, and the config does not allow this namespace to adopt it. */
  AdoptionNotAllowed: "AdoptionNotAllowed",
  /** The config's tenancy fields cannot be read: nothing may use it. */
  TenancyPolicyInvalid: "TenancyPolicyInvalid",
} as const;

/** A failure, with the step it happened in and what the engine does about it. */
export class StepError extends Error {
  override readonly name = "StepError";
  readonly step: Step;
  /** Retrying cannot help until the spec (or something it names) changes. */
  readonly terminal: boolean;
  /** Set when the failure asked to be retried after a fixed delay rather than with backoff. */
  readonly retryAfterMs: number | undefined;
  /** The machine-readable code of a terminal cause, such as "ForeignOwner". */
  readonly code: string | undefined;
  /** The cause's own message, without the step. */
  readonly detail: string;
  /** The Synced reason, when the cause has one of its own (a wait for references) rather than ReconcileError. */
  readonly conditionReason: string | undefined;

  constructor(step: Step, cause: unknown) {
    const detail = errorMessage(cause);
    super(`${StepMessage[step]}: ${detail}`, { cause });
    this.step = step;
    this.detail = detail;
    this.terminal = isTerminal(cause);
    this.code = isTerminal(cause) ? cause.code : undefined;
    this.retryAfterMs = cause instanceof RetryAfterError ? cause.delayMs : undefined;
    this.conditionReason =
      cause instanceof ReferenceNotReadyError
        ? Reason.ReferenceNotReady
        : cause instanceof StillReferencedError
          ? Reason.StillReferenced
          : undefined;
  }

  get reason(): string {
    return FailureReason[this.step];
  }

  /** Wraps `err` with `step`, unless it already names a step (the innermost one is the most precise). */
  static wrap(step: Step, err: unknown): StepError {
    if (err instanceof StepError) return err;
    // Whichever call found it missing, a Secret the spec names is a reference.
    if (err instanceof UnresolvedReferenceError) return new StepError(Step.ResolveReferences, err);
    return new StepError(step, err instanceof ForeignResourceError ? foreignTerminal(err) : err);
  }
}

/** The engine's wording for a resource that carries another owner's tags, found by a provider mid-call. */
function foreignTerminal(err: ForeignResourceError): TerminalError {
  return new TerminalError(
    TerminalCode.ForeignOwner,
    `${err.message}; choose another name with the setpoint.dev/external-name annotation`,
    { cause: err },
  );
}

/**
 * A message fit for a condition: the error's code when it is not already
 * part of the message. `code`, or `Code` as the AWS SDK carries the wire
 * code of a service error (InvalidDBInstanceState), so a transient refusal
 * names itself like a terminal one.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof StepError) return err.message;
  if (err instanceof Error) {
    const e = err as { code?: unknown; Code?: unknown };
    const code = e.code ?? e.Code;
    return typeof code === "string" && code.length > 0 && !err.message.startsWith(code)
      ? `${code}: ${err.message}`
      : err.message;
  }
  return String(err);
}

/** Runs one step; whatever it throws comes out as a StepError naming it. */
export async function step<T>(name: Step, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Not a failure of the step: the object it was for has gone.
    if (err instanceof ObjectGoneError) throw err;
    throw StepError.wrap(name, err);
  }
}
