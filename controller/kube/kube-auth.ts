// What each request to the apiserver carries: TLS material for the connection (CA, client certificate
// and key, server name) and headers (a bearer token, basic auth, impersonation). Static credentials and
// token files are handled here without client-node. A token file is re-read at most once a minute, and
// at once after a 401, because the kubelet rotates projected ServiceAccount tokens (client-go re-reads
// them the same way). Exec plugins, auth providers and proxies are handed to client-node, imported only
// when such a kubeconfig is in use; client-node caches exec tokens itself until they expire.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Agent } from "node:http";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterInfo, KubeconfigSelection, UserInfo } from "./kubeconfig.ts";

/** TLS settings for one pool of connections. Two requests with equal `key`s share connections. */
export interface TlsMaterial {
  key: string;
  ca?: Buffer;
  cert?: Buffer;
  privateKey?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface RequestAuth {
  tls: TlsMaterial;
  headers: Record<string, string>;
  /** Set when client-node built a proxy agent for this cluster; used instead of a pooled one. */
  agent?: Agent;
}

export interface Credentials {
  /** The auth for the next request; cheap once loaded. */
  get(): Promise<RequestAuth>;
  /** The apiserver answered 401: forget cached tokens so the next get() reads them again. */
  invalidate(): void;
}

const TOKEN_FILE_REREAD_MS = 60_000;

function fileOrData(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  if (data) return Buffer.from(data, "base64");
  return undefined;
}

/** A stable key for TLS material, so equal settings map to the same connection pool. */
export function tlsKey(m: Omit<TlsMaterial, "key">): string {
  const h = createHash("sha256");
  for (const part of [m.ca, m.cert, m.privateKey]) h.update(part ?? "").update("\0");
  h.update(`${m.rejectUnauthorized}\0${m.servername ?? ""}`);
  return h.digest("hex").slice(0, 32);
}

function material(m: Omit<TlsMaterial, "key">): TlsMaterial {
  return { ...m, key: tlsKey(m) };
}

/** Token, token file, client certificate or basic auth: everything but exec, auth providers and proxies. */
export class StaticCredentials implements Credentials {
  readonly #tls: TlsMaterial;
  readonly #fixed: Record<string, string>;
  readonly #tokenFile: string | undefined;
  readonly #now: () => number;
  #token: { value: string; at: number } | undefined;

  constructor(cluster: ClusterInfo, user: UserInfo, opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
    const privateKey = fileOrData(user.keyFile, user.keyData);
    const ca = fileOrData(cluster.caFile, cluster.caData);
    const cert = fileOrData(user.certFile, user.certData);
    this.#tls = material({
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(privateKey ? { privateKey } : {}),
      rejectUnauthorized: cluster.skipTLSVerify !== true,
      ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
    });
    const fixed: Record<string, string> = {};
    if (user.token) fixed.Authorization = `Bearer ${user.token}`;
    else if (user.username !== undefined && !user.tokenFile) {
      fixed.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`;
    }
    if (user.impersonateUser) fixed["Impersonate-User"] = user.impersonateUser;
    this.#fixed = fixed;
    this.#tokenFile = user.token ? undefined : user.tokenFile;
    // Read now, so a missing token file fails at start rather than on the first request.
    if (this.#tokenFile) this.#readToken();
  }

  async get(): Promise<RequestAuth> {
    if (!this.#tokenFile) return { tls: this.#tls, headers: this.#fixed };
    const token =
      this.#token && this.#now() - this.#token.at < TOKEN_FILE_REREAD_MS
        ? this.#token.value
        : this.#readToken();
    return { tls: this.#tls, headers: { ...this.#fixed, Authorization: `Bearer ${token}` } };
  }

  invalidate(): void {
    this.#token = undefined;
  }

  #readToken(): string {
    const value = readFileSync(this.#tokenFile ?? "", "utf8").trim();
    this.#token = { value, at: this.#now() };
    return value;
  }
}

/** Everything client-node knows how to do, through its applyToHTTPSOptions(). */
export class ClientNodeCredentials implements Credentials {
  readonly #kc: KubeConfig;
  readonly #proxied: boolean;
  #last: TlsMaterial | undefined;

  constructor(kc: KubeConfig) {
    this.#kc = kc;
    this.#proxied = Boolean(kc.getCurrentCluster()?.proxyUrl);
  }

  async get(): Promise<RequestAuth> {
    const o: {
      headers?: Record<string, string | string[] | number>;
      ca?: unknown;
      cert?: unknown;
      key?: unknown;
      rejectUnauthorized?: boolean;
      servername?: string;
      auth?: string;
      agent?: unknown;
    } = {};
    await this.#kc.applyToHTTPSOptions(o as never);
    const buf = (v: unknown) =>
      v === undefined || v === null ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(String(v));
    const ca = buf(o.ca);
    const cert = buf(o.cert);
    const privateKey = buf(o.key);
    const next = material({
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(privateKey ? { privateKey } : {}),
      rejectUnauthorized: o.rejectUnauthorized !== false,
      ...(o.servername ? { servername: o.servername } : {}),
    });
    // Keep one object while the material stays the same, so the pool keeps its connections.
    if (this.#last?.key !== next.key) this.#last = next;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) headers[k] = String(v);
    if (o.auth) headers.Authorization = `Basic ${Buffer.from(o.auth).toString("base64")}`;
    return {
      tls: this.#last,
      headers,
      ...(this.#proxied && o.agent ? { agent: o.agent as Agent } : {}),
    };
  }

  invalidate(): void {
    // client-node refreshes exec and OIDC tokens on its own when they expire.
  }
}

/** client-node's in-cluster loader describes the ServiceAccount token as this pseudo auth provider. */
function tokenFileProvider(user: UserInfo): string | undefined {
  const p = user.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
  return p?.name === "tokenFile" ? p.config?.tokenFile : undefined;
}

/** Credentials for a selection: static when possible, client-node (imported now) otherwise. */
export async function credentialsFor(
  sel: Pick<KubeconfigSelection, "cluster" | "user">,
): Promise<Credentials> {
  const tokenFile = tokenFileProvider(sel.user);
  if (tokenFile) {
    const { authProvider: _p, ...rest } = sel.user;
    return new StaticCredentials(sel.cluster, { ...rest, tokenFile });
  }
  if (sel.user.exec === undefined && sel.user.authProvider === undefined && !sel.cluster.proxyUrl) {
    return new StaticCredentials(sel.cluster, sel.user);
  }
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ ...sel.cluster, skipTLSVerify: sel.cluster.skipTLSVerify === true }],
    users: [sel.user],
    contexts: [{ name: "setpoint", cluster: sel.cluster.name, user: sel.user.name }],
    currentContext: "setpoint",
  });
  return new ClientNodeCredentials(kc);
}

/** Credentials read from a client-node KubeConfig someone already built (tests, the demo). */
export function credentialsFromKubeConfig(kc: KubeConfig): Credentials {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error("the KubeConfig has no current cluster");
  const u: UserInfo = {
    name: user?.name ?? "(none)",
    ...(user?.token ? { token: user.token } : {}),
    ...(user?.certData ? { certData: user.certData } : {}),
    ...(user?.certFile ? { certFile: user.certFile } : {}),
    ...(user?.keyData ? { keyData: user.keyData } : {}),
    ...(user?.keyFile ? { keyFile: user.keyFile } : {}),
    ...(user?.username ? { username: user.username } : {}),
    ...(user?.password ? { password: user.password } : {}),
    ...(user?.impersonateUser ? { impersonateUser: user.impersonateUser } : {}),
  };
  const tokenFile = user ? tokenFileProvider(user as UserInfo) : undefined;
  if (tokenFile) return new StaticCredentials(cluster, { ...u, tokenFile });
  if (user?.exec || user?.authProvider || cluster.proxyUrl) return new ClientNodeCredentials(kc);
  return new StaticCredentials(cluster, u);
}
