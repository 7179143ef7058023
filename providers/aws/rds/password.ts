// The master password: read from the user's Secret, or generated once and
// kept in a Secret owned by the SqlInstance. Values never leave this module
// except into CreateDBInstance/ModifyDBInstance and the connection secret.
import { randomInt } from "node:crypto";
import {
  GENERATED_PASSWORD_SECRET_SUFFIX,
  type SqlInstanceParameters,
} from "../../../apis/aws/v1alpha1/sqlinstance.ts";
import { Annotations, type Managed } from "../../../controller/api/index.ts";
import { type KubeAccess, type SecretData, UnresolvedReferenceError } from "../../../controller/provider.ts";

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
  return `${mr.metadata.name}${GENERATED_PASSWORD_SECRET_SUFFIX}`;
}

/**
 * Raised when the user's password Secret is missing, lacks its key, or holds
 * a password RDS would refuse; transient, since the Secret may change soon.
 */
export class PasswordSecretError extends UnresolvedReferenceError {
  override readonly name = "PasswordSecretError";
}

/** The master password lengths RDS accepts, per engine (CreateDBInstance, MasterUserPassword). */
export function passwordLengths(engine: string): { min: number; max: number } {
  if (engine === "mysql" || engine === "mariadb") return { min: 8, max: 41 };
  if (engine.startsWith("oracle-")) return { min: 8, max: 30 };
  if (engine.startsWith("db2-")) return { min: 8, max: 255 };
  return { min: 8, max: 128 };
}

/**
 * Why RDS would refuse `password` for `engine`, without repeating any of it:
 * printable ASCII except / " @ (and, for Oracle, & and '), of the engine's length.
 */
export function passwordProblem(engine: string, password: string): string | undefined {
  const { min, max } = passwordLengths(engine);
  if (password.length < min || password.length > max) {
    return `it has ${password.length} characters, and RDS takes ${min} to ${max} for ${engine}`;
  }
  const forbidden = engine.startsWith("oracle-") ? /[^\x20-\x7e]|[/"@&']/ : /[^\x20-\x7e]|[/"@]/;
  if (forbidden.test(password)) {
    return `it contains a character RDS refuses (/, ", @${engine.startsWith("oracle-") ? ", &, '" : ""} or one that is not printable ASCII)`;
  }
  return undefined;
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
    const problem = source.generated
      ? undefined
      : passwordProblem(mr.spec.forProvider.engine, state.password);
    if (problem) {
      throw new PasswordSecretError(
        `the master password in Secret ${source.namespace}/${source.name} (key "${source.key}") cannot be used: ${problem}`,
      );
    }
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

/**
 * Before the first create, the user's password Secret must hold a usable
 * password. Checked before any cloud call, so waiting for the Secret costs
 * nothing in the cloud, however long it takes. Once the instance exists a
 * missing Secret no longer stops its polls: only a rotation needs it.
 */
export async function requirePasswordBeforeCreate(
  kube: KubeAccess,
  mr: Managed<SqlInstanceParameters>,
): Promise<void> {
  const created = mr.metadata.annotations?.[Annotations.externalCreateSucceeded] !== undefined;
  if (created || mr.metadata.deletionTimestamp || !mr.spec.forProvider.masterPasswordSecretRef) return;
  await ensurePassword(kube, mr);
}

/** What setpoint recorded about the password (status.atProvider), as checkRotation reads it. */
export interface PasswordRecord {
  /** The Secret version whose password setpoint set on the instance (at create or by a rotation). */
  applied?: string;
  /**
   * The Secret version seen when setpoint adopted the instance ("" when there
   * was no Secret). setpoint did not set that password, so it does not know
   * the instance's: it publishes none until the Secret changes and it sets it.
   */
  adopted?: string;
}

export interface RotationCheck {
  /** Present when the password should be (re)applied. */
  needsRotation: boolean;
  /** The version to report in atProvider: it advances only once an update applied it. */
  reportedVersion?: string;
  /** Carried in atProvider while the instance's password is not setpoint's. */
  adoptedVersion?: string;
  /** The Secret's password is the instance's, so the connection Secret may carry it. */
  passwordKnown: boolean;
}

/**
 * Compares the Secret's version with the one last applied. No record at all
 * means the first observation: of an instance setpoint created (`created`,
 * from its uid tag), whose password came from this Secret; or of an adopted
 * one, whose password setpoint never set. A generated Secret that vanished is
 * recreated by a rotation, but never for an adopted instance: that would
 * replace a password that other clients use.
 */
export function checkRotation(
  state: PasswordState,
  previous: PasswordRecord,
  created: boolean,
): RotationCheck {
  const { applied, adopted } = previous;
  if (applied === undefined && (adopted !== undefined || !created)) {
    const seen = adopted ?? state.version ?? "";
    // Any new version of the Secret is the user handing the password over.
    const handover = adopted !== undefined && state.version !== undefined && state.version !== adopted;
    return {
      needsRotation: handover && state.password !== undefined,
      adoptedVersion: seen,
      passwordKnown: false,
    };
  }
  if (state.version === undefined) {
    const out: RotationCheck = { needsRotation: state.source.generated, passwordKnown: false };
    if (applied !== undefined) out.reportedVersion = applied;
    return out;
  }
  if (applied === undefined)
    return { needsRotation: false, reportedVersion: state.version, passwordKnown: true };
  if (applied !== state.version)
    return { needsRotation: state.password !== undefined, reportedVersion: applied, passwordKnown: false };
  return { needsRotation: false, reportedVersion: state.version, passwordKnown: true };
}
