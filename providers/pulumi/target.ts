// A PulumiStack's spec, resolved into everything its operations need: the program, the config with its
// Secrets read, the backend and its credentials from the ProviderConfig, the stack's folders, and the
// whole environment its CLI runs with. Every failure the user must fix is a TerminalError that names
// the field; no secret value appears in a message.
//
// The tenant chooses the program, the config and the bucket; the controller chooses every path: the
// project is the namespace and the stack is the external name, so state keys and local folders always
// sit under the resource's own namespace.
import { mkdir, symlink } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import type {
  PulumiStackObservation,
  PulumiStackParameters,
} from "../../apis/pulumi/v1alpha1/pulumistack.ts";
import { Annotations, type Managed } from "../../controller/api/index.ts";
import { type ConnectContext, TerminalError } from "../../controller/provider.ts";
import { permissionsOf } from "../../controller/reconciler/policies.ts";
import { resolveAwsConnection } from "../aws/shared/index.ts";
import { PulumiCodes } from "./errors.ts";
import { type AppliedInputs, fingerprint } from "./fingerprint.ts";
import { type LockStore, localLockStore } from "./locks.ts";
import type { Program } from "./programs.ts";
import type { PulumiRuntime } from "./runtime.ts";

export type PulumiStackResource = Managed<PulumiStackParameters, PulumiStackObservation>;

/** Config keys the controller sets for every program, e.g. for tagging what it creates. */
export const SetpointConfig = {
  owner: "setpoint:owner",
  uid: "setpoint:uid",
  namespace: "setpoint:namespace",
  name: "setpoint:name",
} as const;

export interface StackTarget {
  /** "<project>/<stack>". */
  key: string;
  project: string;
  stack: string;
  program: Program;
  backendUrl: string;
  /** The backend without query or credentials, for status and messages. */
  backendLabel: string;
  locks: LockStore;
  /** The CLI's whole environment. */
  env: Record<string, string>;
  config: Record<string, { value: string; secret: boolean }>;
  desired: AppliedInputs;
  /** Values that must never leave this process: hidden in every message kept. */
  secrets: string[];
  workDir: string;
  home: string;
  /**
   * The policies allow no change (["Observe"], with LateInitialize or not): the provider then removes
   * no stale lock either, so that an Observe-only stack writes nothing to its state.
   */
  readOnly: boolean;
}

/**
 * The folder of stateRef.local: <root>/<namespace>[/<path>]. Admission refuses "." and ".." segments
 * already; this checks again, and checks the resolved folder, because a tenant must never reach past
 * its namespace's folder into the controller's disk (an apiserver without the CRD's rules, an old CRD,
 * a resource written before a validation existed).
 */
export function localStateFolder(root: string, namespace: string, path: string | undefined): string {
  const refuse = (why: string) =>
    new TerminalError(PulumiCodes.LocalStatePathRefused, `spec.forProvider.stateRef.local.path: ${why}`);
  const segments = path ? path.split("/") : [];
  if (path !== undefined && (path === "" || isAbsolute(path) || path.includes("\\"))) {
    throw refuse('must be a relative folder of "/"-separated names');
  }
  if (segments.some((s) => s === "" || s === "." || s === "..")) {
    throw refuse('cannot contain empty, "." or ".." segments');
  }
  const base = resolve(root, namespace);
  const dir = resolve(base, ...segments);
  const rel = relative(base, dir);
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw refuse("leads outside this namespace's state folder");
  }
  return dir;
}

export function stackNameOf(mr: Managed): string {
  return mr.metadata.annotations?.[Annotations.externalName] ?? mr.metadata.name;
}

async function secretValue(
  ctx: ConnectContext,
  namespace: string,
  ref: { name: string; key: string },
  field: string,
): Promise<string> {
  const secret = await ctx.kube.getSecret(namespace, ref.name);
  if (!secret) {
    throw new TerminalError(
      PulumiCodes.SecretNotFound,
      `Secret ${namespace}/${ref.name} (${field}) not found`,
    );
  }
  const value = secret.data[ref.key];
  if (value === undefined) {
    throw new TerminalError(
      PulumiCodes.SecretNotFound,
      `Secret ${namespace}/${ref.name} (${field}) has no key "${ref.key}"`,
    );
  }
  return value;
}

export function programOf(rt: PulumiRuntime, name: string): Program {
  const program = rt.programs.get(name);
  if (!program) {
    const served = [...rt.programs.keys()].join(", ") || "none";
    throw new TerminalError(
      PulumiCodes.ProgramNotFound,
      `no program "${name}" in this controller's programs folder (it serves: ${served})`,
    );
  }
  if (program.loadError) throw new TerminalError(PulumiCodes.ProgramError, program.loadError);
  return program;
}

/** The AWS variables the controller itself holds, for a ProviderConfig whose credentials are the Environment's. */
function ambientAws(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[0].startsWith("AWS_") && e[1] !== undefined,
    ),
  );
}

export async function resolveTarget(
  mr: PulumiStackResource,
  ctx: ConnectContext,
  rt: PulumiRuntime,
): Promise<StackTarget> {
  const p = mr.spec.forProvider;
  const namespace = mr.metadata.namespace ?? "default";
  const program = programOf(rt, p.program);
  const project = namespace;
  const stack = stackNameOf(mr);

  const conn = await resolveAwsConnection(mr, ctx);
  const aws: Record<string, string> = conn.credentials ? {} : ambientAws();
  aws.AWS_REGION = conn.region;
  aws.AWS_DEFAULT_REGION = conn.region;
  if (conn.endpoint) aws.AWS_ENDPOINT_URL = conn.endpoint;
  if (conn.credentials) {
    aws.AWS_ACCESS_KEY_ID = conn.credentials.accessKeyId;
    aws.AWS_SECRET_ACCESS_KEY = conn.credentials.secretAccessKey;
    if (conn.credentials.sessionToken) aws.AWS_SESSION_TOKEN = conn.credentials.sessionToken;
  }

  let backendUrl: string;
  let backendLabel: string;
  let locks: LockStore;
  if (p.stateRef.s3) {
    const { bucket, prefix } = p.stateRef.s3;
    const query = new URLSearchParams({ region: conn.region });
    if (conn.endpoint) {
      query.set("endpoint", conn.endpoint);
      query.set("use_path_style", "true");
    }
    backendLabel = `s3://${bucket}${prefix ? `/${prefix}` : ""}`;
    backendUrl = `${backendLabel}?${query}`;
    const { s3LockStore } = await import("./s3-locks.ts");
    locks = s3LockStore(conn, bucket, prefix);
  } else {
    const root = rt.options.localStateDir;
    if (!root) {
      throw new TerminalError(
        PulumiCodes.LocalStateNotAllowed,
        "spec.forProvider.stateRef.local: this controller keeps no state on its own disk (it was started without --pulumi-local-state-dir); use stateRef.s3",
      );
    }
    const dir = localStateFolder(root, namespace, p.stateRef.local?.path);
    await mkdir(dir, { recursive: true });
    backendUrl = `file://${dir}`;
    backendLabel = backendUrl;
    locks = localLockStore(dir);
  }

  const passphrase = await secretValue(
    ctx,
    namespace,
    p.passphraseSecretRef,
    "spec.forProvider.passphraseSecretRef",
  );
  const plainConfig: Record<string, string> = {};
  const secretConfig: Record<string, string> = {};
  for (const [key, v] of Object.entries(p.config ?? {})) {
    if (v.secretKeyRef) {
      secretConfig[key] = await secretValue(
        ctx,
        namespace,
        v.secretKeyRef,
        `spec.forProvider.config["${key}"]`,
      );
    } else plainConfig[key] = v.value ?? "";
  }
  const owner = `${namespace}/${mr.metadata.name}`;
  const config: StackTarget["config"] = {
    [SetpointConfig.owner]: { value: owner, secret: false },
    [SetpointConfig.uid]: { value: mr.metadata.uid ?? "", secret: false },
    [SetpointConfig.namespace]: { value: namespace, secret: false },
    [SetpointConfig.name]: { value: mr.metadata.name, secret: false },
  };
  for (const [k, value] of Object.entries(plainConfig)) config[k] = { value, secret: false };
  for (const [k, value] of Object.entries(secretConfig)) config[k] = { value, secret: true };

  const base = join(rt.workDir, "stacks", project, stack);
  const workDir = join(base, "work");
  const home = join(base, "home");
  const emptyHome = join(base, "user-home");
  await Promise.all([
    mkdir(workDir, { recursive: true }),
    mkdir(home, { recursive: true }),
    mkdir(emptyHome, { recursive: true }),
  ]);
  if (rt.options.pluginsDir) {
    await symlink(rt.options.pluginsDir, join(home, "plugins")).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  }

  const env: Record<string, string> = {
    PATH: rt.path,
    // An empty home: nothing of the controller's own (~/.aws, ~/.kube) reaches the program.
    HOME: emptyHome,
    PULUMI_HOME: home,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    SETPOINT_PULUMI_PROGRAM_DIR: program.dir,
    ...aws,
  };
  const secrets = [
    passphrase,
    ...Object.values(secretConfig),
    conn.credentials?.secretAccessKey,
    conn.credentials?.sessionToken,
  ].filter((s): s is string => typeof s === "string" && s.length >= 4);
  return {
    key: `${project}/${stack}`,
    project,
    stack,
    program,
    backendUrl,
    backendLabel,
    locks,
    env,
    config,
    desired: fingerprint(passphrase, { program: program.id, plainConfig, secretConfig, providerEnv: aws }),
    secrets,
    workDir,
    home,
    readOnly: (({ create, update, delete: del }) => !create && !update && !del)(
      permissionsOf(mr.spec.managementPolicies),
    ),
  };
}

/**
 * Replaces every secret value in `text` with "[secret]", and every long line of a multi-line one (a
 * kubeconfig's certificates and token), since Pulumi may quote a secret's single line.
 */
export function redactor(secrets: readonly string[]): (text: string) => string {
  const lines = secrets.flatMap((s) => (s.includes("\n") ? s.split("\n").map((l) => l.trim()) : []));
  const parts = [...new Set([...secrets, ...lines.filter((l) => l.length >= 20)])]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text) => parts.reduce((t, s) => t.split(s).join("[secret]"), text);
}
