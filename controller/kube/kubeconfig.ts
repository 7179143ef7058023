// Finds the cluster and the credentials to use, without @kubernetes/client-node: importing client-node
// loads its 61 MB of generated API models (about 80 MB of RSS), and the controller needs none of them.
// This covers what a controller meets in practice: in-cluster config (the ServiceAccount token, CA and
// namespace, with the token re-read as the kubelet rotates it), and kubeconfig files (KUBECONFIG, a list
// of files merged the way kubectl merges them, or ~/.kube/config) with a bearer token, a token file, a
// client certificate and key, or basic auth. What needs code from client-node (exec plugins, auth
// providers, a proxy-url) is marked `delegate` here; kube-auth.ts then imports client-node lazily for
// exactly those, so nobody else pays for it.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";

/** The cluster to talk to, as client-node names the fields (so a client-node KubeConfig maps 1:1). */
export interface ClusterInfo {
  name: string;
  server: string;
  /** Base64 PEM. */
  caData?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
}

/** Who we are. exec and authProvider are kept as raw kubeconfig objects for client-node. */
export interface UserInfo {
  name: string;
  token?: string;
  tokenFile?: string;
  /** Base64 PEM. */
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  impersonateUser?: string;
  exec?: unknown;
  authProvider?: unknown;
}

export interface KubeconfigSelection {
  cluster: ClusterInfo;
  user: UserInfo;
  /** The context's namespace (or the ServiceAccount's, in-cluster). */
  namespace?: string;
  /** Where it came from, for logs and for handing the same source to client-node. */
  source: { kind: "files"; paths: string[]; context: string } | { kind: "in-cluster" };
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}

export interface LoadOptions {
  /** An explicit kubeconfig file (the --kubeconfig flag); otherwise KUBECONFIG, ~/.kube/config, in-cluster. */
  path?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
}

/**
 * Resolves the configuration the way client-node's loadFromDefault does (and kubectl): an explicit
 * file; else every file in KUBECONFIG, merged; else ~/.kube/config; else in-cluster. Async because the
 * YAML parser is only imported when a file has to be read (in-cluster needs none).
 */
export async function loadKubeconfig(opts: LoadOptions = {}): Promise<KubeconfigSelection> {
  const env = opts.env ?? process.env;
  const saDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  let paths: string[] = [];
  if (opts.path) paths = [opts.path];
  else if (env.KUBECONFIG) paths = env.KUBECONFIG.split(delimiter).filter((p) => p !== "");
  else {
    const home = opts.home ?? homedir();
    const config = join(home, ".kube", "config");
    if (existsSync(config)) paths = [config];
  }
  if (paths.length > 0) {
    const yaml = await import("yaml");
    // A bundler may hand the CommonJS module over as the default export only.
    const parse = yaml.parse ?? (yaml as unknown as { default: typeof yaml }).default.parse;
    const files = paths.map((path) => {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch (err) {
        throw new KubeconfigError(`cannot read kubeconfig ${path}: ${(err as Error).message}`);
      }
      return { path, doc: parse(text) as RawKubeconfig | null };
    });
    return selectFromFiles(files);
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(saDir, "token"))) return inCluster(env, saDir);
  throw new KubeconfigError(
    "no kubeconfig: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod with a ServiceAccount token",
  );
}

/** The in-cluster configuration: the service's address, the mounted CA, and the (rotating) token file. */
export function inCluster(env: NodeJS.ProcessEnv, saDir = SERVICE_ACCOUNT_DIR): KubeconfigSelection {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  const bracketed = host.includes(":") ? `[${host}]` : host;
  const nsFile = join(saDir, "namespace");
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, "utf8").trim() : undefined;
  return {
    cluster: { name: "in-cluster", server: `https://${bracketed}:${port}`, caFile: join(saDir, "ca.crt") },
    user: { name: "in-cluster", tokenFile: join(saDir, "token") },
    ...(namespace ? { namespace } : {}),
    source: { kind: "in-cluster" },
  };
}

interface Named<K extends string> {
  name?: string;
  [key: string]: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: raw YAML
  cluster?: K extends "cluster" ? Record<string, any> : never;
  // biome-ignore lint/suspicious/noExplicitAny: raw YAML
  user?: K extends "user" ? Record<string, any> : never;
  // biome-ignore lint/suspicious/noExplicitAny: raw YAML
  context?: K extends "context" ? Record<string, any> : never;
}

export interface RawKubeconfig {
  clusters?: Named<"cluster">[];
  users?: Named<"user">[];
  contexts?: Named<"context">[];
  "current-context"?: string;
}

/**
 * kubectl's merge: for clusters, users and contexts the first file that defines a name wins, and so
 * does the first current-context. Relative file paths are relative to the file that names them. Pure
 * apart from reading nothing: files are given parsed.
 */
export function selectFromFiles(files: { path: string; doc: RawKubeconfig | null }[]): KubeconfigSelection {
  const clusters = new Map<string, ClusterInfo>();
  const users = new Map<string, UserInfo>();
  const contexts = new Map<string, { cluster: string; user: string; namespace?: string }>();
  let current: string | undefined;
  for (const { path, doc } of files) {
    if (!doc) continue;
    const dir = dirname(path);
    const abs = (p: unknown) =>
      typeof p === "string" && p !== "" ? (isAbsolute(p) ? p : join(dir, p)) : undefined;
    for (const c of doc.clusters ?? []) {
      if (!c.name || clusters.has(c.name) || !c.cluster) continue;
      const raw = c.cluster;
      clusters.set(c.name, {
        name: c.name,
        server: String(raw.server ?? ""),
        ...opt("caData", raw["certificate-authority-data"]),
        ...opt("caFile", abs(raw["certificate-authority"])),
        ...(raw["insecure-skip-tls-verify"] === true ? { skipTLSVerify: true } : {}),
        ...opt("tlsServerName", raw["tls-server-name"]),
        ...opt("proxyUrl", raw["proxy-url"]),
      });
    }
    for (const u of doc.users ?? []) {
      if (!u.name || users.has(u.name)) continue;
      const raw = u.user ?? {};
      users.set(u.name, {
        name: u.name,
        ...opt("token", raw.token),
        ...opt("tokenFile", abs(raw.tokenFile ?? raw["token-file"])),
        ...opt("certData", raw["client-certificate-data"]),
        ...opt("certFile", abs(raw["client-certificate"])),
        ...opt("keyData", raw["client-key-data"]),
        ...opt("keyFile", abs(raw["client-key"])),
        ...opt("username", raw.username),
        ...opt("password", raw.password),
        ...opt("impersonateUser", raw.as),
        ...(raw.exec ? { exec: raw.exec } : {}),
        ...(raw["auth-provider"] ? { authProvider: raw["auth-provider"] } : {}),
      });
    }
    for (const c of doc.contexts ?? []) {
      if (!c.name || contexts.has(c.name) || !c.context) continue;
      contexts.set(c.name, {
        cluster: String(c.context.cluster ?? ""),
        user: String(c.context.user ?? ""),
        ...opt("namespace", c.context.namespace),
      });
    }
    current ??= doc["current-context"] || undefined;
  }
  const where = files.map((f) => f.path).join(delimiter);
  if (!current) throw new KubeconfigError(`kubeconfig ${where} has no current-context`);
  const ctx = contexts.get(current);
  if (!ctx) throw new KubeconfigError(`kubeconfig ${where}: current-context "${current}" is not defined`);
  const cluster = clusters.get(ctx.cluster);
  if (!cluster?.server)
    throw new KubeconfigError(
      `kubeconfig ${where}: context "${current}" names cluster "${ctx.cluster}", which is missing or has no server`,
    );
  const user = users.get(ctx.user) ?? { name: ctx.user || "(none)" };
  return {
    cluster,
    user,
    ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
    source: { kind: "files", paths: files.map((f) => f.path), context: current },
  };
}

/** True when the credentials need client-node's code (exec plugins, auth providers) or its proxy agents. */
export function needsClientNode(sel: Pick<KubeconfigSelection, "cluster" | "user">): boolean {
  return (
    sel.user.exec !== undefined || sel.user.authProvider !== undefined || sel.cluster.proxyUrl !== undefined
  );
}

function opt<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return typeof value === "string" && value !== "" ? ({ [key]: value } as { [P in K]: string }) : {};
}
