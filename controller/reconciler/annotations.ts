// The engine's annotations as users write them. Annotations are outside the
// CRD schema, so the API server cannot check them; a value the engine cannot
// read becomes a terminal condition that names the annotation and what it
// takes, never a silent default. Until it is fixed, nothing is called in the
// cloud: "paused: banana" may well have meant "paused".
import type { Managed } from "../api/managed.ts";
import { Annotations } from "../api/metadata.ts";
import { type Provider, TerminalError } from "../provider.ts";
import { TerminalCode } from "./steps.ts";

/** What setpoint.dev/paused takes; anything else is refused. */
export const PAUSED_VALUES = ["true", "false"] as const;

/** An annotation value as it appears in a message: quoted, and short. */
function shown(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 63)}…` : value);
}

/**
 * The first problem with the engine's annotations on `mr`, or undefined.
 * The provider's checkExternalName is its rule for its cloud identifiers.
 */
export function annotationProblem(
  mr: Managed,
  provider: Pick<Provider, "checkExternalName">,
): TerminalError | undefined {
  const annotations = mr.metadata.annotations ?? {};
  const paused = annotations[Annotations.paused];
  if (paused !== undefined && !(PAUSED_VALUES as readonly string[]).includes(paused)) {
    return new TerminalError(
      TerminalCode.InvalidAnnotation,
      `annotation ${Annotations.paused} is ${shown(paused)}: use "true" to pause or "false" to resume (or remove it); until then setpoint changes nothing in the cloud`,
    );
  }
  const name = annotations[Annotations.externalName];
  if (name) {
    const why = provider.checkExternalName?.(name);
    if (why !== undefined) {
      return new TerminalError(
        TerminalCode.InvalidAnnotation,
        `annotation ${Annotations.externalName} is ${shown(name)}, which cannot name a ${mr.kind} in the cloud: ${why}`,
      );
    }
  }
  return undefined;
}
