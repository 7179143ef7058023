// The managed reconciler: the policy half of the crossplane-runtime split.
// For one custom resource it runs, in a fixed order:
//   paused? → policies → deletion → tenancy gate (tenancy.ts) → finalizer and
//   external name → references (references.ts) → connect → observe → decide
//   (decide.ts) → ownership and adoption → late-init → create | update |
//   report | nothing → status, events, requeue.
// Providers only map; every decision about drift, ownership, adoption and
// protection is made here, in decide.ts and in tenancy.ts, once, for every
// kind, and reporting.ts words it in conditions, status.drift and events.
// Each call runs as a named step (steps.ts), so a failure says which call
// failed. The file is over 400 lines on purpose: it is the flow above, read
// top to bottom in that order, and its decisions already live elsewhere.
import type { KindDefinition } from "../api/kind.ts";
import type { Managed } from "../api/managed.ts";
import { Annotations, FINALIZER } from "../api/metadata.ts";
import type { ConnectContext, ExternalClient, Observation, Provider } from "../provider.ts";
import { TerminalError } from "../provider.ts";
import { annotationProblem } from "./annotations.ts";
import { ConditionType, Reason } from "./conditions.ts";
import { decide, decideDeletion } from "./decide.ts";
import { toDriftFields } from "./drift-report.ts";
import { externalNameOf } from "./external-name.ts";
import { Pass } from "./pass.ts";
import { deletesInCloud, isPaused, permissionsOf } from "./policies.ts";
import {
  type ConnectionSecretWriter,
  type EventRecorder,
  type ManagedStore,
  ObjectGoneError,
  type TenancySource,
} from "./ports.ts";
import {
  ReferenceNotReadyError,
  type ReferenceTargets,
  resolveReferences,
  StillReferencedError,
} from "./references.ts";
import { EventReason, type ReconcileMetrics, Reporter } from "./reporting.ts";
import { errorMessage, Step, StepError, step, TerminalCode } from "./steps.ts";
import { type AdoptionConsent, evaluateTenancy } from "./tenancy.ts";

export { EventReason, type ReconcileMetrics } from "./reporting.ts";

/** What the caller (the controller loop) should do with the key next. */
export type ReconcileOutcome =
  | { kind: "poll"; ready: boolean; inProgress: boolean }
  | { kind: "retry"; error: StepError }
  /** Look again after exactly this delay, without backoff: the provider asked for it. */
  | { kind: "retry-after"; delayMs: number; error: StepError }
  | { kind: "terminal"; error: StepError }
  | { kind: "done" };

export interface ReconcilerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ReconcilerDeps {
  kind: KindDefinition;
  provider: Provider;
  store: ManagedStore;
  events: EventRecorder;
  connectionSecrets: ConnectionSecretWriter;
  connectContext: ConnectContext;
  now: () => number;
  metrics?: ReconcileMetrics;
  log?: ReconcilerLog;
  /** Refresh status.drift.lastCheckTime at least this often even when nothing changed; 0 disables it. */
  statusHeartbeatMs?: number;
  /** The other managed resources, for references; a kind that declares none needs nothing here. */
  references?: ReferenceTargets;
  /**
   * What the administrator allows this resource (the config's tenancy fields
   * and the namespace's labels). Absent: the kind has no config kind, so every
   * namespace may use it and nothing may be adopted.
   */
  tenancy?: TenancySource;
}

export class ManagedReconciler {
  readonly #d: ReconcilerDeps;
  readonly #report: Reporter;

  constructor(deps: ReconcilerDeps) {
    this.#d = deps;
    this.#report = new Reporter({
      kind: deps.kind.kind,
      events: deps.events,
      now: deps.now,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
  }

  /**
   * Reconciles one resource. Never throws: every failure becomes a status
   * condition, an event and an outcome the queue understands.
   * `prefetched` is an observation from a batched poll sweep, used instead
   * of calling observe() again.
   */
  async reconcile(input: Managed, prefetched?: Observation): Promise<ReconcileOutcome> {
    const pass = new Pass(input, this.#d.now());
    try {
      return await this.#run(pass, prefetched);
    } catch (err) {
      if (err instanceof ObjectGoneError) {
        // Deleted while we worked on it (the finalizer released, or never
        // added): there is nothing left to reconcile or to report on.
        this.#debug(pass, "gone", { detail: err.message });
        return { kind: "done" };
      }
      return this.#fail(pass, StepError.wrap(Step.Initialize, err));
    }
  }

  async #run(pass: Pass, prefetched?: Observation): Promise<ReconcileOutcome> {
    const invalid = annotationProblem(pass.mr, this.#d.provider);
    if (invalid) throw new StepError(Step.Initialize, invalid);
    if (isPaused(pass.mr)) {
      pass.setSynced({
        status: "False",
        reason: Reason.Paused,
        message: pass.mr.metadata.deletionTimestamp
          ? `reconciliation is paused by annotation; the deletion waits until ${Annotations.paused} is removed`
          : "reconciliation is paused by annotation",
      });
      await this.#writeStatus(pass);
      this.#debug(pass, "paused");
      return { kind: "done" };
    }
    if (!permissionsOf(pass.mr.spec.managementPolicies).observe) {
      throw new StepError(
        Step.Initialize,
        new TerminalError(
          TerminalCode.InvalidManagementPolicies,
          "managementPolicies must include Observe or *",
        ),
      );
    }
    if (pass.mr.metadata.deletionTimestamp) return this.#delete(pass);

    // Before anything is written, even our finalizer: a namespace the
    // administrator did not allow gets no cloud call at all.
    const adoption = this.#admit(pass);
    await step(Step.UpdateManaged, () => this.#ensureFinalizerAndName(pass));
    // Before connect: until every reference resolves, nothing is sent to the cloud.
    const specMoved = await step(Step.ResolveReferences, () => this.#resolveReferences(pass));
    const client = await step(Step.Connect, () => this.#d.provider.connect(pass.mr, this.#d.connectContext));
    try {
      // A swept observation compared the cloud with the spec before the references moved it.
      const fresh = specMoved ? undefined : prefetched;
      const observation = fresh ?? (await step(Step.Observe, () => client.observe(pass.mr)));
      return await this.#act(pass, client, observation, adoption);
    } finally {
      await client.close?.();
    }
  }

  async #act(
    pass: Pass,
    client: ExternalClient,
    obs: Observation,
    adoption: AdoptionConsent,
  ): Promise<ReconcileOutcome> {
    const d = decide(pass.mr, obs, permissionsOf(pass.mr.spec.managementPolicies), adoption);
    if (d.action === "refuse") throw new StepError(Step.Ownership, d.error);
    if (d.action === "create") return this.#create(pass, client, d.recreate, adoption);
    if (d.action === "report-missing") return this.#reportMissing(pass, d.existedBefore);

    if (d.markCreated) {
      // Ours (a create whose response was lost) or adopted: record it, so a
      // later out-of-band delete counts as a recreation, not a first create.
      await step(Step.UpdateManaged, () => this.#markCreated(pass));
    }
    if (d.lateInit) await step(Step.LateInitialize, () => this.#lateInitialize(pass, d.lateInit!));
    await this.#publishConnection(pass.mr, obs.connectionDetails);
    pass.status.atProvider = obs.atProvider ?? pass.status.atProvider;
    const fields = toDriftFields(obs.drift, this.#d.kind.sensitivePaths);

    if (d.action === "none") {
      pass.inSync(obs);
      await this.#writeStatus(pass);
      this.#debug(pass, "none");
      return { kind: "poll", ready: obs.ready.status, inProgress: obs.inProgress === true };
    }
    if (d.action === "report-drift") {
      // Report only: the cloud is busy (the next poll looks again), or the
      // policy forbids changes, in which case the report doubles as a plan.
      this.#report.reported(pass, fields, d.drift, d.policyForbids);
      // A spec change that waits for a busy cloud is not applied yet: keep
      // the old observedGeneration, or the next poll would take the user's
      // own edit for drift and "correct" it.
      if (d.holdGeneration) pass.generation = pass.mr.status?.observedGeneration;
      pass.setReady(obs);
      pass.succeeded();
      await this.#writeStatus(pass);
      this.#debug(pass, "report-drift", { policyForbids: d.policyForbids, fields: fields.length });
      return { kind: "poll", ready: obs.ready.status, inProgress: obs.inProgress === true };
    }

    if (d.drift) {
      this.#report.detected(pass, fields);
      await this.#writeStatus(pass);
    }
    const result = await step(Step.Update, () => client.update(pass.mr, obs));
    if (result.atProvider) {
      pass.status.atProvider = { ...(pass.status.atProvider as object), ...result.atProvider };
    }
    await this.#publishConnection(pass.mr, result.connectionDetails);
    if (d.drift) this.#report.corrected(pass, fields);
    else this.#report.updated(pass, fields);
    pass.setReady(obs);
    pass.succeeded();
    await this.#writeStatus(pass);
    this.#debug(pass, "update", { drift: d.drift, fields: fields.length });
    // Look again soon: the correction is verified by the next observation.
    return { kind: "poll", ready: false, inProgress: true };
  }

  async #reportMissing(pass: Pass, existedBefore: boolean): Promise<ReconcileOutcome> {
    this.#report.missing(pass, existedBefore);
    pass.succeeded();
    await this.#writeStatus(pass);
    this.#debug(pass, "report-missing", { existedBefore });
    return { kind: "poll", ready: false, inProgress: false };
  }

  async #create(
    pass: Pass,
    client: ExternalClient,
    recreate: boolean,
    adoption: AdoptionConsent,
  ): Promise<ReconcileOutcome> {
    if (recreate && this.#report.recreating(pass)) await this.#writeStatus(pass);

    const result = await step(Step.Create, () => client.create(pass.mr));
    if (result.alreadyExists) {
      // Nothing was created: the name is taken. Whose resource it is decides
      // what happens next, by the same rule as for one found by observe.
      const again = await step(Step.Observe, () => client.observe(pass.mr));
      if (!again.exists) {
        throw new StepError(
          Step.Create,
          new Error(`${externalNameOf(pass.mr)} already exists in the cloud, but cannot be observed yet`),
        );
      }
      this.#debug(pass, "create-found-existing");
      return this.#act(pass, client, again, adoption);
    }
    await this.#publishConnection(pass.mr, result.connectionDetails);
    if (recreate) this.#report.recreated(pass);
    else {
      await step(Step.UpdateManaged, () => this.#markCreated(pass));
      this.#report.created(pass);
    }
    pass.setCondition({
      type: ConditionType.Ready,
      status: "False",
      reason: Reason.Creating,
      message: "waiting for the cloud resource to become available",
    });
    pass.succeeded();
    await this.#writeStatus(pass);
    this.#debug(pass, recreate ? "recreate" : "create");
    return { kind: "poll", ready: false, inProgress: true };
  }

  /**
   * Writes the values of the resource's references into spec.forProvider
   * when they changed. The write bumps the generation, so the change is
   * applied as a spec change, not counted as drift. Returns true when the
   * spec moved. Throws ReferenceNotReadyError while a target is not Ready.
   */
  async #resolveReferences(pass: Pass): Promise<boolean> {
    const decls = this.#d.kind.references;
    if (!decls?.length || !this.#d.references) return false;
    const r = resolveReferences(pass.mr, decls, this.#d.references);
    if (r.kind === "waiting") throw new ReferenceNotReadyError(r.message);
    if (r.changed.length === 0) return false;
    const values = Object.fromEntries(r.changed.map((f) => [f, r.values[f]]));
    pass.mr = await this.#d.store.patchForProvider(pass.mr, values);
    pass.generation = pass.mr.metadata.generation;
    this.#report.event(
      pass,
      "Normal",
      EventReason.ResolvedReferences,
      `Set ${r.changed.map((f) => `forProvider.${f}`).join(", ")} from ${r.from.join(", ")}`,
    );
    return true;
  }

  async #delete(pass: Pass): Promise<ReconcileOutcome> {
    const first = decideDeletion(pass.mr, undefined);
    if (first.action === "done") return { kind: "done" };
    // A resource others refer to stays in the cloud until they are gone (or
    // no longer refer to it), so a referrer never breaks silently; without
    // this, AWS would refuse some deletes (DependencyViolation) and allow
    // others, depending on the service.
    const referrers = deletesInCloud(pass.mr) ? (this.#d.references?.referrersOf(pass.mr) ?? []) : [];
    if (referrers.length > 0) throw new StepError(Step.Delete, new StillReferencedError(referrers));
    if (first.action === "orphan") {
      this.#report.event(
        pass,
        "Normal",
        EventReason.OrphanedExternalResource,
        `Left ${this.#nameOf(pass)} in the cloud (deletionPolicy or managementPolicies say so)`,
      );
      return this.#release(pass, "orphan");
    }
    // Deleting in the cloud is a cloud call like any other: a namespace the
    // administrator no longer allows keeps its finalizer, and the cloud
    // resource stays, until the administrator allows it again.
    const adoption = this.#admit(pass);
    if (!externalNameOf(pass.mr)) {
      // Someone removed the annotation: put the derived name back, so the
      // cloud resource is looked for under it and not left behind unseen.
      await step(Step.UpdateManaged, () => this.#ensureFinalizerAndName(pass));
    }
    const client = await step(Step.Connect, () => this.#d.provider.connect(pass.mr, this.#d.connectContext));
    try {
      const obs = await step(Step.Observe, () => client.observe(pass.mr));
      const d = decideDeletion(pass.mr, obs, adoption);
      switch (d.action) {
        case "done":
        case "observe":
          return { kind: "done" };
        case "orphan":
          this.#report.event(
            pass,
            "Warning",
            EventReason.OrphanedExternalResource,
            d.why === "adoption-refused"
              ? `Did not delete ${this.#nameOf(pass)}: setpoint did not create it (it carries no setpoint owner tags) and may not adopt it here, so it stays in the cloud`
              : `Did not delete ${this.#nameOf(pass)}: it is not owned by this resource`,
          );
          return this.#release(pass, `orphan-${d.why}`);
        case "wait":
          this.#debug(pass, "wait-for-deletion");
          return { kind: "poll", ready: false, inProgress: true };
        case "refuse":
          throw new StepError(Step.Delete, d.error);
        case "delete": {
          const options = { disableDeletionProtection: d.disableDeletionProtection };
          const result = await step(Step.Delete, () => client.delete(pass.mr, obs, options));
          this.#report.event(
            pass,
            "Normal",
            EventReason.DeletingExternalResource,
            `Deleting ${this.#nameOf(pass)}`,
          );
          if (!result.gone) {
            pass.setCondition({
              type: ConditionType.Ready,
              status: "False",
              reason: Reason.Deleting,
              message: "waiting for the cloud resource to be deleted",
            });
            pass.succeeded();
            await this.#writeStatus(pass);
            this.#debug(pass, "delete", d);
            return { kind: "poll", ready: false, inProgress: true };
          }
          break;
        }
        case "released":
          break;
      }
      this.#report.event(
        pass,
        "Normal",
        EventReason.DeletedExternalResource,
        `Deleted ${this.#nameOf(pass)}`,
      );
      return this.#release(pass, "deleted");
    } finally {
      await client.close?.();
    }
  }

  /** The cloud name: the annotation, or (when someone removed it) the derived name the provider falls back to. */
  #nameOf(pass: Pass): string {
    const { namespace, name } = pass.mr.metadata;
    return externalNameOf(pass.mr) ?? this.#d.provider.deriveExternalName(namespace ?? "", name);
  }

  /** The tenancy gate: the consent to adoption when admitted; throws the refusal otherwise. */
  #admit(pass: Pass): AdoptionConsent {
    const verdict = evaluateTenancy(pass.mr, this.#d.tenancy?.read(pass.mr) ?? { config: undefined });
    if (verdict.admitted === true) return verdict.adoption;
    throw new StepError(Step.Authorize, verdict.error);
  }

  /** Removes our finalizer: the deletion is finished, and the object may go. */
  async #release(pass: Pass, decision: string): Promise<ReconcileOutcome> {
    const finalizers = (pass.mr.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
    await step(Step.UpdateManaged, async () => {
      pass.mr = await this.#d.store.patchMetadata(pass.mr, { finalizers });
    });
    this.#debug(pass, decision, { finalizer: "released" });
    return { kind: "done" };
  }

  async #ensureFinalizerAndName(pass: Pass): Promise<void> {
    const { metadata } = pass.mr;
    const annotations: Record<string, string> = {};
    if (!externalNameOf(pass.mr)) {
      annotations[Annotations.externalName] = this.#d.provider.deriveExternalName(
        metadata.namespace ?? "",
        metadata.name,
      );
      annotations[Annotations.externalNameDerived] = "true";
    }
    const needsFinalizer = !metadata.finalizers?.includes(FINALIZER);
    if (!needsFinalizer && Object.keys(annotations).length === 0) return;
    pass.mr = await this.#d.store.patchMetadata(pass.mr, {
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(needsFinalizer ? { finalizers: [...(metadata.finalizers ?? []), FINALIZER] } : {}),
    });
  }

  async #markCreated(pass: Pass): Promise<void> {
    pass.mr = await this.#d.store.patchMetadata(pass.mr, {
      annotations: { [Annotations.externalCreateSucceeded]: pass.now },
    });
  }

  async #lateInitialize(pass: Pass, values: Record<string, unknown>): Promise<void> {
    const wasSynced = pass.mr.metadata.generation === pass.mr.status?.observedGeneration;
    pass.mr = await this.#d.store.patchForProvider(pass.mr, values);
    // Our own late-init bumps the generation; it is not a user's spec change.
    if (wasSynced) {
      pass.generation = pass.mr.metadata.generation;
      pass.mr = { ...pass.mr, status: { ...pass.mr.status, observedGeneration: pass.generation } };
    }
    this.#report.event(
      pass,
      "Normal",
      EventReason.LateInitialized,
      `Took ${Object.keys(values).join(", ")} from the cloud`,
    );
  }

  async #publishConnection(mr: Managed, details: Record<string, string> | undefined): Promise<void> {
    if (!details || !mr.spec.writeConnectionSecretToRef) return;
    await step(Step.PublishConnection, () => this.#d.connectionSecrets.write(mr, details));
  }

  /** Writes status only when it changed, so an idle cluster makes no writes. */
  async #writeStatus(pass: Pass): Promise<void> {
    const heartbeat = this.#d.statusHeartbeatMs ?? 0;
    const lastCheck = pass.mr.status?.drift?.lastCheckTime
      ? Date.parse(pass.mr.status.drift.lastCheckTime)
      : 0;
    const due = heartbeat > 0 && this.#d.now() - lastCheck >= heartbeat;
    if (!due && pass.unchanged()) return;
    pass.status.drift = { ...pass.drift(), lastCheckTime: pass.now };
    await step(Step.WriteStatus, async () => {
      pass.mr = await this.#d.store.writeStatus(pass.mr, pass.status);
    });
    pass.status = structuredClone(pass.mr.status ?? pass.status);
    this.#d.metrics?.statusWrite(this.#d.kind.kind);
  }

  #debug(pass: Pass, decision: string, extra: object = {}): void {
    this.#d.log?.debug({ resource: resourceOf(pass.mr), decision, ...extra }, "reconciled");
  }

  async #fail(pass: Pass, err: StepError): Promise<ReconcileOutcome> {
    const retryIn = err.retryAfterMs;
    this.#report.failed(pass, err, { deleting: pass.mr.metadata.deletionTimestamp !== undefined });
    const fields = { step: err.step, err: err.detail, terminal: err.terminal, resource: resourceOf(pass.mr) };
    if (retryIn === undefined) this.#d.log?.warn(fields, "reconcile failed");
    else this.#d.log?.info({ ...fields, retryInMs: retryIn }, "reconcile waits");
    try {
      await this.#writeStatus(pass);
    } catch (writeErr) {
      if (!(writeErr instanceof ObjectGoneError)) {
        this.#d.log?.warn(
          { step: Step.WriteStatus, err: errorMessage(writeErr), resource: resourceOf(pass.mr) },
          "could not record the failure in status",
        );
      }
    }
    if (err.terminal) return { kind: "terminal", error: err };
    if (retryIn !== undefined) return { kind: "retry-after", delayMs: retryIn, error: err };
    return { kind: "retry", error: err };
  }
}

/** "namespace/name", for logs. */
export function resourceOf(mr: Managed): string {
  return `${mr.metadata.namespace ?? ""}/${mr.metadata.name}`;
}
