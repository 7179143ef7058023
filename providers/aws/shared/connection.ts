// Resolves a managed resource's ProviderConfig into what an SDK client needs.
// Every failure the user must fix (missing or invalid ProviderConfig or
// Secret) is a TerminalError with a named code; secret values never appear
// in messages.

import {
  API_VERSION,
  PROVIDER_CONFIG_KIND,
  PROVIDER_CONFIG_PLURAL,
  ProviderConfigSpec,
} from "../../../apis/aws/v1alpha1/providerconfig.ts";
import type { Managed } from "../../../controller/api/index.ts";
import type { CloudCallBudget, ConnectContext } from "../../../controller/provider.ts";
import { TerminalError } from "../../../controller/provider.ts";
import { SetpointCodes } from "./errors.ts";

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConnection {
  region: string;
  /** An AWS-compatible endpoint (moto, LocalStack); undefined means real AWS. */
  endpoint?: string;
  /** Static keys from a Secret; undefined means the SDK's default chain (environment, IRSA, instance role). */
  credentials?: StaticCredentials;
  /** Who pays for calls, for the budget: "secret:ns/name" or "environment". */
  account: string;
  /** account/region/endpoint: resources with the same key share SDK clients and batched observation. */
  key: string;
  /** The engine's long-lived budget, if any; sharedClient's middleware takes from it before every call. */
  budget?: CloudCallBudget;
}

export const ENVIRONMENT_ACCOUNT = "environment";

/** The connection key alone, e.g. for Provider.connectionKey; reads the same objects as resolveAwsConnection. */
export async function awsConnectionKey(mr: Managed, ctx: ConnectContext): Promise<string> {
  return (await resolveAwsConnection(mr, ctx)).key;
}

export async function resolveAwsConnection(mr: Managed, ctx: ConnectContext): Promise<AwsConnection> {
  const name = mr.spec.providerConfigRef?.name ?? "default";
  const obj = await ctx.kube.getClusterObject(
    API_VERSION,
    PROVIDER_CONFIG_KIND,
    PROVIDER_CONFIG_PLURAL,
    name,
  );
  if (!obj) {
    throw new TerminalError(
      SetpointCodes.ProviderConfigNotFound,
      `ProviderConfig "${name}" not found: create it or set spec.providerConfigRef.name`,
    );
  }
  const parsed = ProviderConfigSpec.safeParse(obj.spec);
  if (!parsed.success) {
    // Issue paths and messages describe the shape, not values, so they are safe to show.
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join(".") : "spec"}: ${i.message}`)
      .join("; ");
    throw new TerminalError(
      SetpointCodes.ProviderConfigInvalid,
      `ProviderConfig "${name}" is invalid: ${issues}`,
    );
  }
  const spec = parsed.data;
  const endpoint = spec.endpoint;
  let credentials: StaticCredentials | undefined;
  let account = ENVIRONMENT_ACCOUNT;
  if (spec.credentials.source === "Secret") {
    const ref = spec.credentials.secretRef;
    if (!ref) {
      throw new TerminalError(
        SetpointCodes.ProviderConfigInvalid,
        `ProviderConfig "${name}" has credentials.source Secret but no credentials.secretRef`,
      );
    }
    const secret = await ctx.kube.getSecret(ref.namespace, ref.name);
    if (!secret) {
      throw new TerminalError(
        SetpointCodes.CredentialsSecretNotFound,
        `credentials Secret ${ref.namespace}/${ref.name} of ProviderConfig "${name}" not found`,
      );
    }
    const accessKeyId = secret.data[ref.accessKeyIdKey];
    const secretAccessKey = secret.data[ref.secretAccessKeyKey];
    const missing = [
      accessKeyId ? undefined : ref.accessKeyIdKey,
      secretAccessKey ? undefined : ref.secretAccessKeyKey,
    ].filter((k): k is string => k !== undefined);
    if (!accessKeyId || !secretAccessKey) {
      throw new TerminalError(
        SetpointCodes.CredentialsSecretInvalid,
        `credentials Secret ${ref.namespace}/${ref.name} of ProviderConfig "${name}" has no value for key(s) ${missing.join(", ")}`,
      );
    }
    credentials = { accessKeyId, secretAccessKey };
    const sessionToken = secret.data[ref.sessionTokenKey];
    if (sessionToken) credentials.sessionToken = sessionToken;
    account = `secret:${ref.namespace}/${ref.name}`;
  }
  const conn: AwsConnection = {
    region: spec.region,
    account,
    key: `${account}/${spec.region}/${endpoint ?? ""}`,
  };
  if (endpoint !== undefined) conn.endpoint = endpoint;
  if (credentials) conn.credentials = credentials;
  if (ctx.budget) conn.budget = ctx.budget;
  return conn;
}
