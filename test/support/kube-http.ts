// Plain HTTPS calls to the test API server for the chart's tests: server-side apply (and its dry run)
// of any object the chart renders, found through discovery, a Pod create, and the TokenRequest API.
// client-node's typed APIs rebuild objects through their models, which is not what a test of "does the
// API server accept exactly these bytes" wants; this sends the JSON as rendered.

import { request } from "node:https";
import { testKubeConfig } from "./env.ts";

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
  /** The API server's Warning headers (e.g. Pod Security warnings). */
  warnings: string[];
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

function connection(): { server: string; ca: string; token: string } {
  const kc = testKubeConfig();
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster?.caData || !user?.token) throw new Error("the test kubeconfig has no CA data or token");
  return {
    server: cluster.server,
    ca: Buffer.from(cluster.caData, "base64").toString("utf8"),
    token: user.token,
  };
}

/** The test API server's URL and CA, for a kubeconfig of another identity. */
export function serverAndCa(): { server: string; caPem: string } {
  const { server, ca } = connection();
  return { server, caPem: ca };
}

export function kubeRequest<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<KubeResponse<T>> {
  const { server, ca, token } = connection();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      {
        method,
        ca,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: "application/json",
          ...(payload !== undefined ? { "Content-Type": contentType } : {}),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => {
          const raw = res.headers.warning;
          const warnings = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
          let parsed: unknown = text;
          try {
            parsed = text === "" ? undefined : JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T, warnings });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

const discovery = new Map<string, Promise<ApiResourceList>>();

async function resourceFor(
  apiVersion: string,
  kind: string,
): Promise<{ plural: string; namespaced: boolean }> {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let list = discovery.get(base);
  if (!list) {
    list = kubeRequest<ApiResourceList>("GET", base).then((r) => {
      if (r.status !== 200)
        throw new Error(`discovery of ${base} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body;
    });
    discovery.set(base, list);
  }
  const res = (await list).resources.find((r) => r.kind === kind && !r.name.includes("/"));
  if (!res) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
  return { plural: res.name, namespaced: res.namespaced };
}

/** The URL path of an object, e.g. /apis/apps/v1/namespaces/ns/deployments/name. */
export async function objectPath(obj: KubeObject, namespace?: string): Promise<string> {
  const { plural, namespaced } = await resourceFor(obj.apiVersion, obj.kind);
  const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = obj.metadata.namespace ?? namespace;
  if (namespaced && !ns)
    throw new Error(`${obj.kind} ${obj.metadata.name} is namespaced but has no namespace`);
  return `${base}${namespaced ? `/namespaces/${ns}` : ""}/${plural}/${encodeURIComponent(obj.metadata.name)}`;
}

/** Server-side apply; with dryRun the API server validates and admits it and stores nothing. */
export async function serverSideApply(
  obj: KubeObject,
  opts: { dryRun?: boolean; namespace?: string; fieldManager?: string } = {},
): Promise<KubeResponse> {
  const query = new URLSearchParams({ fieldManager: opts.fieldManager ?? "setpoint-tests", force: "true" });
  if (opts.dryRun) query.set("dryRun", "All");
  return kubeRequest(
    "PATCH",
    `${await objectPath(obj, opts.namespace)}?${query}`,
    obj,
    "application/apply-patch+yaml",
  );
}

/** A short-lived token for a ServiceAccount, from the TokenRequest API. */
export async function serviceAccountToken(
  namespace: string,
  name: string,
  expirationSeconds = 3600,
): Promise<string> {
  const r = await kubeRequest<{ status?: { token?: string } }>(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds } },
  );
  const token = r.body?.status?.token;
  if (r.status !== 201 || !token)
    throw new Error(`TokenRequest for ${namespace}/${name} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return token;
}

/** Whether a user may do something, per the API server's authorizer (SubjectAccessReview). */
export async function mayDo(
  user: string,
  attrs: {
    verb: string;
    resource: string;
    group?: string;
    namespace?: string;
    subresource?: string;
    name?: string;
  },
): Promise<boolean> {
  const r = await kubeRequest<{ status?: { allowed?: boolean } }>(
    "POST",
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: { user, resourceAttributes: { ...attrs, group: attrs.group ?? "" } },
    },
  );
  if (r.status !== 201)
    throw new Error(`SubjectAccessReview answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body?.status?.allowed === true;
}
