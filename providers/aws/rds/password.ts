// The master password: read from the user's Secret, or generated once and
// kept in a Secret owned by the SqlInstance. Values never leave this module
// except into CreateDBInstance/ModifyDBInstance and the connection secret.
import { randomInt } from "node:crypto";
import type {
  SqlInstanceObservation,
  SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import type { Managed } from "../../../controller/api/index.ts";
import type { KubeAccess, SecretData } from "../../../controller/provider.ts";

/**
 * Letters, digits and URL-unreserved symbols: RDS forbids / @ " and space,
 * and characters that need quoting in URLs or shells break connection strings.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Oracle caps master passwords at 30 characters; 30 from 66 symbols is about 180 bits. */
export const GENERATED_PASSWORD_LENGTH = 30;
export const GENERATED_PASSWORD_KEY = "password";

export function generatePassword(length = GENERATED_PASSWORD_LENGTH): string {
  // A leading letter keeps the value safe for tools that parse a leading "-" or digit.
  let out = LETTERS[randomInt(LETTERS.length)]!;
  while (out.length < length) out += ALPHABET[randomInt(ALPHABET.length)]!;
  return out;
}

export function generatedSecretName(mr: Managed): string {
  return `${mr.metadata.name}-master-password`;
}

/** Raised when the user's password Secret is missing; transient, since the Secret may appear soon. */
export class PasswordSecretError extends Error {
  override readonly name = "PasswordSecretError";
}

export interface PasswordSource {
  namespace: string;
  name: string;
  key: string;
  /** True when setpoint owns the Secret (no masterPasswordSecretRef). */
  generated: boolean;
}

export function passwordSource(mr: Managed<SqlInstanceParameters>): PasswordSource {
  const ref = mr.spec.forProvider.masterPasswordSecretRef;
  const namespace = mr.metadata.namespace ?? "default";
  if (ref) return { namespace, name: ref.name, key: ref.key ?? GENERATED_PASSWORD_KEY, generated: false };
  return { namespace, name: generatedSecretName(mr), key: GENERATED_PASSWORD_KEY, generated: true };
}

export interface PasswordState {
  source: PasswordSource;
  /** Undefined when the Secret or key is missing. */
  password?: string;
  /** The Secret's resourceVersion; undefined when the Secret is missing. */
  version?: string;
}

export async function readPassword(kube: KubeAccess, source: PasswordSource): Promise<PasswordState> {
  const secret: SecretData | undefined = await kube.getSecret(source.namespace, source.name);
  const state: PasswordState = { source };
  if (!secret) return state;
  state.version = secret.resourceVersion;
  const value = secret.data[source.key];
  if (value) state.password = value;
  return state;
}

/**
 * The password to use for create or rotation. A generated password is made
 * only when its Secret does not exist yet, never to replace an existing one.
 */
export async function ensurePassword(
  kube: KubeAccess,
  mr: Managed<SqlInstanceParameters>,
): Promise<{ password: string; version?: string }> {
  const source = passwordSource(mr);
  const state = await readPassword(kube, source);
  if (state.password !== undefined) {
    return state.version === undefined
      ? { password: state.password }
      : { password: state.password, version: state.version };
  }
  if (!source.generated) {
    throw new PasswordSecretError(
      state.version === undefined
        ? `master password Secret ${source.namespace}/${source.name} not found`
        : `master password Secret ${source.namespace}/${source.name} has no key "${source.key}"`,
    );
  }
  const password = generatePassword();
  await kube.applySecret(mr as Managed, source.name, { [source.key]: password });
  const written = await kube.getSecret(source.namespace, source.name);
  return written ? { password, version: written.resourceVersion } : { password };
}

export interface RotationCheck {
  /** Present when the password should be (re)applied. */
  needsRotation: boolean;
  /** The version to report in atProvider: it advances only once an update applied it. */
  reportedVersion?: string;
}

/**
 * Compares the Secret's version with the one last applied. No earlier
 * version means this is the first observation: take the current one as
 * applied. A generated Secret that vanished is recreated by a rotation.
 */
export function checkRotation(
  state: PasswordState,
  previous: SqlInstanceObservation["masterPasswordSecretVersion"],
): RotationCheck {
  if (state.version === undefined) {
    const out: RotationCheck = { needsRotation: state.source.generated };
    if (previous !== undefined) out.reportedVersion = previous;
    return out;
  }
  if (previous === undefined) return { needsRotation: false, reportedVersion: state.version };
  if (previous !== state.version)
    return { needsRotation: state.password !== undefined, reportedVersion: previous };
  return { needsRotation: false, reportedVersion: state.version };
}
