// The PulumiStack provider: one Pulumi stack per custom resource, on the engine's own drift model.
//   observe  the stack's tags (ownership, what was last deployed), then `refresh --preview-only`: the
//            cloud against the state, per resource and field. When the program, config or a referenced
//            Secret changed since the last deployment, `preview --refresh` instead: the plan.
//   create   `stack init`, the ownership tags, the first `up`.
//   update   `up --refresh`, then the new fingerprints.
//   delete   `destroy`, which removes the stack too (the engine leaves it alone under Orphan).
// The engine decides everything else, as for any kind: ownership (the stack's uid tag), whether the
// policies allow an update, what counts as drift. Operations take a slot of the runtime's own limit.
import type {
  PulumiStackObservation,
  PulumiStackParameters,
} from "../../apis/pulumi/v1alpha1/pulumistack.ts";
import {
  type ConnectContext,
  type CreateResult,
  type DeleteResult,
  type ExternalClient,
  type FieldDiff,
  type Observation,
  type Provider,
  TerminalError,
  type UpdateResult,
} from "../../controller/provider.ts";
import { PulumiCodes } from "./errors.ts";
import { planChanges, refreshDrift, type StackState, stackState } from "./events.ts";
import {
  type AppliedInputs,
  formatInputsTag,
  inputChanges,
  parseInputsTag,
  StackTags,
} from "./fingerprint.ts";
import type { PulumiRuntime } from "./runtime.ts";
import { S3_BUDGET, S3_SERVICE } from "./services.ts";
import { StackSession } from "./session.ts";
import { type PulumiStackResource, resolveTarget, type StackTarget } from "./target.ts";

export { PULUMI_DEFAULTS, PulumiRuntime, type PulumiRuntimeOptions } from "./runtime.ts";

type StackObservation = Observation<PulumiStackObservation>;
type OutputMap = Record<string, { value: unknown; secret: boolean }>;

/** Bounds that keep status small whatever a program outputs. */
const MAX_OUTPUTS = 64;
const MAX_OUTPUT_LENGTH = 1024;

function render(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > MAX_OUTPUT_LENGTH ? `${s.slice(0, MAX_OUTPUT_LENGTH - 1)}…` : s;
}

function missing(message: string): StackObservation {
  return { exists: false, drift: [], ready: { status: false, reason: "Unavailable", message } };
}

function atProviderOf(
  t: StackTarget,
  state: StackState,
  program: string | undefined,
): PulumiStackObservation {
  const outputs = Object.fromEntries(
    Object.entries(state.outputs)
      .slice(0, MAX_OUTPUTS)
      .map(([k, v]) => [k, render(v)]),
  );
  return {
    stack: t.key,
    backend: t.backendLabel,
    ...(program ? { program } : {}),
    resources: state.resources,
    outputs,
    secretOutputs: state.secretOutputs,
  };
}

function ownerTags(mr: PulumiStackResource): Record<string, string> {
  return {
    [StackTags.owner]: `${mr.metadata.namespace ?? ""}/${mr.metadata.name}`,
    [StackTags.uid]: mr.metadata.uid ?? "",
  };
}

export class PulumiStackClient implements ExternalClient<PulumiStackParameters, PulumiStackObservation> {
  readonly #rt: PulumiRuntime;
  readonly #t: StackTarget;
  readonly #s: StackSession;

  constructor(rt: PulumiRuntime, target: StackTarget) {
    this.#rt = rt;
    this.#t = target;
    this.#s = new StackSession(rt, target);
  }

  observe(mr: PulumiStackResource): Promise<StackObservation> {
    return this.#rt.slots.run(async () => {
      const tags = await this.#s.tags();
      if (!tags) return missing("the stack does not exist yet");
      const ownership = { owner: tags[StackTags.owner], uid: tags[StackTags.uid] };
      if (ownership.uid && ownership.uid !== mr.metadata.uid) {
        return { exists: true, ownership, drift: [], ready: { status: false, reason: "Unavailable" } };
      }
      const applied = parseInputsTag(tags[StackTags.inputs]);
      const changes = inputChanges(this.#t.desired, applied);
      const planned = applied !== undefined && changes.length > 0;
      const { events } = planned ? await this.#s.preview() : await this.#s.refreshPreview();
      const state = stackState(events);
      // Made by a create that did not get as far as its up: nothing to keep, so create again.
      if (!applied && state.resources === 0) return missing("the stack has never been deployed");
      return {
        exists: true,
        ownership,
        drift: planned ? [...changes, ...this.#plan(changes, events)] : [...changes, ...refreshDrift(events)],
        atProvider: atProviderOf(this.#t, state, applied?.program),
        ready: { status: true, reason: "Available", message: `${state.resources} resources` },
        ...(await this.#connectionDetails(mr)),
      };
    });
  }

  create(mr: PulumiStackResource): Promise<CreateResult> {
    return this.#rt.slots.run(async () => {
      await this.#s.init();
      // Before the first up, so that a stack left half-made is still known to be this resource's.
      await this.#s.setTags(ownerTags(mr));
      const up = await this.#s.up(false);
      await this.#applied(this.#t.desired);
      this.#rt.log?.info({ stack: this.#t.key, changes: up.changes }, "created Pulumi stack");
      return this.#details(mr, up.outputs);
    });
  }

  update(mr: PulumiStackResource, obs: StackObservation): Promise<UpdateResult> {
    return this.#rt.slots.run(async () => {
      // An adopted stack (an explicit external name) becomes this resource's.
      if (!obs.ownership?.uid) await this.#s.setTags(ownerTags(mr));
      const up = await this.#s.up(true);
      await this.#applied(this.#t.desired);
      this.#rt.log?.info({ stack: this.#t.key, changes: up.changes }, "updated Pulumi stack");
      const plain = Object.entries(up.outputs).filter(([, o]) => !o.secret);
      return {
        ...this.#details(mr, up.outputs),
        atProvider: {
          program: this.#t.desired.program,
          outputs: Object.fromEntries(plain.slice(0, MAX_OUTPUTS).map(([k, o]) => [k, render(o.value)])),
          secretOutputs: Object.entries(up.outputs)
            .filter(([, o]) => o.secret)
            .map(([k]) => k)
            .sort(),
        },
      };
    });
  }

  delete(): Promise<DeleteResult> {
    return this.#rt.slots.run(async () => {
      await this.#s.destroy();
      this.#rt.log?.info({ stack: this.#t.key }, "destroyed Pulumi stack");
      return { gone: true };
    });
  }

  /** The plan's FieldDiffs, with the cause of the input change that calls for them. */
  #plan(changes: FieldDiff[], events: Parameters<typeof planChanges>[0]): FieldDiff[] {
    const referenceOnly = changes.every((c) => c.cause === "reference");
    return planChanges(events).map((d) => (referenceOnly ? { ...d, cause: "reference" as const } : d));
  }

  async #applied(inputs: AppliedInputs): Promise<void> {
    await this.#s.setTags({ [StackTags.inputs]: formatInputsTag(inputs) });
  }

  async #connectionDetails(mr: PulumiStackResource): Promise<{ connectionDetails?: Record<string, string> }> {
    if (!mr.spec.writeConnectionSecretToRef || !mr.spec.forProvider.connectionOutputs?.length) return {};
    return this.#details(mr, (await this.#s.outputs()) as OutputMap);
  }

  #details(mr: PulumiStackResource, outputs: OutputMap): { connectionDetails?: Record<string, string> } {
    const names = mr.spec.forProvider.connectionOutputs ?? [];
    if (!mr.spec.writeConnectionSecretToRef || names.length === 0) return {};
    const details: Record<string, string> = {};
    for (const name of names) {
      const o = outputs[name];
      if (o !== undefined) details[name] = typeof o.value === "string" ? o.value : JSON.stringify(o.value);
    }
    return { connectionDetails: details };
  }
}

/**
 * The provider, for a runtime that is being or was started (cli/program.ts starts it with the
 * controller), or none: then every PulumiStack says that this controller runs no programs.
 */
export function pulumiStackProvider(
  runtime?: Promise<PulumiRuntime>,
): Provider<PulumiStackParameters, PulumiStackObservation> {
  return {
    // The project is the namespace already: the stack is named after the resource alone.
    deriveExternalName: (_namespace, name) => name,
    services: { [S3_SERVICE]: S3_BUDGET },
    async connect(mr: PulumiStackResource, ctx: ConnectContext) {
      if (!runtime) {
        throw new TerminalError(
          PulumiCodes.PulumiNotConfigured,
          "this controller runs no Pulumi programs: start it with --pulumi-programs and --pulumi-cli",
        );
      }
      const rt = await runtime;
      return new PulumiStackClient(rt, await resolveTarget(mr, ctx, rt));
    },
  };
}
