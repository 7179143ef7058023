// What a stack was last deployed with, kept in the stack's own tags (in its backend, beside its state),
// so that a change of program, config or referenced Secret is found without running the program, and
// is applied as a change rather than reported as drift. A refresh cannot see these: it compares the
// cloud with the state and never runs the program.
//
// The fingerprints are HMACs keyed with the stack's passphrase, so a tag never gives away a hash of
// a secret that could be guessed offline. Tag names cannot hold "/" in Pulumi, hence the ":".
import { createHmac } from "node:crypto";
import type { FieldDiff } from "../../controller/provider.ts";

export const StackTags = {
  owner: "setpoint.dev:owner",
  uid: "setpoint.dev:uid",
  /** "program=<name>@<digest>;config=<hmac>;secrets=<hmac>;provider=<hmac>" after each successful up. */
  inputs: "setpoint.dev:inputs",
} as const;

export interface AppliedInputs {
  /** "<name>@<digest of its files>". */
  program: string;
  /** HMAC of the plain config values. */
  config: string;
  /** HMAC of the config values read from Secrets. */
  secrets: string;
  /** HMAC of what the ProviderConfig gives the program: region, endpoint, credentials. */
  provider: string;
}

export interface DesiredInputs {
  program: string;
  plainConfig: Record<string, string>;
  /** Secret config values, the passphrase excluded (it is the key). */
  secretConfig: Record<string, string>;
  /** The environment the ProviderConfig gives the program (region, endpoint, credentials). */
  providerEnv: Record<string, string>;
}

function canonical(record: Record<string, string>): string {
  return JSON.stringify(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

function hmac(key: string, text: string): string {
  return createHmac("sha256", key).update(text).digest("hex").slice(0, 16);
}

export function fingerprint(key: string, inputs: DesiredInputs): AppliedInputs {
  return {
    program: inputs.program,
    config: hmac(key, canonical(inputs.plainConfig)),
    secrets: hmac(key, canonical(inputs.secretConfig)),
    provider: hmac(key, canonical(inputs.providerEnv)),
  };
}

export function formatInputsTag(a: AppliedInputs): string {
  return `program=${a.program};config=${a.config};secrets=${a.secrets};provider=${a.provider}`;
}

export function parseInputsTag(tag: string | undefined): AppliedInputs | undefined {
  if (!tag) return undefined;
  const fields = Object.fromEntries(
    tag.split(";").map((part) => {
      const at = part.indexOf("=");
      return [part.slice(0, at), part.slice(at + 1)];
    }),
  );
  const { program, config, secrets, provider } = fields;
  return program && config && secrets && provider ? { program, config, secrets, provider } : undefined;
}

const nameOf = (program: string) => program.split("@")[0] ?? program;

/**
 * The differences between what the spec asks for now and what the stack was last deployed with.
 * A new program digest under the same name (the controller runs a newer version of the program), a
 * changed Secret and a changed ProviderConfig are "reference" changes: applied, not counted as drift.
 * A stack never deployed by setpoint (no tag) differs in everything.
 */
export function inputChanges(desired: AppliedInputs, applied: AppliedInputs | undefined): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (applied?.program !== desired.program) {
    const sameName = applied !== undefined && nameOf(applied.program) === nameOf(desired.program);
    out.push({
      path: "forProvider.program",
      desired: desired.program,
      observed: applied?.program,
      ...(sameName ? { cause: "reference" as const } : {}),
    });
  }
  if (applied?.config !== desired.config) {
    out.push({
      path: "forProvider.config",
      desired: `fingerprint ${desired.config.slice(0, 8)}`,
      observed: applied ? `fingerprint ${applied.config.slice(0, 8)}` : undefined,
    });
  }
  if (applied?.secrets !== desired.secrets) {
    // Which Secret changed is not told: only that a value the spec reads from one did.
    out.push({
      path: "forProvider.config",
      desired: undefined,
      observed: undefined,
      sensitive: true,
      cause: "reference",
    });
  }
  if (applied?.provider !== desired.provider) {
    out.push({
      path: "providerConfigRef",
      desired: undefined,
      observed: undefined,
      sensitive: true,
      cause: "reference",
    });
  }
  return out;
}
