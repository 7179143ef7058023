// Starts a real etcd + kube-apiserver pair on loopback for tests and the demo, the way
// controller-runtime's envtest does: no kubelet, no controller-manager, no scheduler. Only the API
// server's own controllers run, which is all a controller that manages custom resources needs.
//
// Authentication is a static token file with one admin user in system:masters, so the kubeconfig is a
// plain bearer token. TLS is verified: the kubeconfig carries the self-signed serving certificate that
// kube-apiserver writes to --cert-dir (its SANs include 127.0.0.1 because of --advertise-address).

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Binaries, ensureBinaries, type Log } from "./binaries.ts";
import { freePort, sleep } from "./ports.ts";
import { type ManagedProcess, registerCleanup, registerTempDir, spawnManaged } from "./process.ts";

export interface ControlPlaneOptions {
  /** Prebuilt binaries; built (or found in the cache) with ensureBinaries when absent. */
  binaries?: Binaries;
  log?: Log;
  /** How long to wait for etcd and then kube-apiserver to become ready, each. Default 90s. */
  startTimeoutMs?: number;
  /** Where the temp dir is created. Default os.tmpdir(). */
  baseDir?: string;
}

export interface ControlPlane {
  /** A kubeconfig file (token auth, CA-verified TLS) inside the temp dir; gone after stop(). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Bearer token of the admin user (group system:masters). */
  token: string;
  /** PEM of the serving certificate chain to trust. */
  caPem: string;
  /** The temp dir holding etcd data, certs and the etcd.log / kube-apiserver.log files. */
  dir: string;
  etcdUrl: string;
  /** Stops kube-apiserver, then etcd (SIGTERM, then SIGKILL), and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const ADMIN_USER = "setpoint-admin";
const MAX_PORT_ATTEMPTS = 3;

class PortInUseError extends Error {}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const binaries = opts.binaries ?? (await ensureBinaries(log));
  const timeoutMs = opts.startTimeoutMs ?? 90_000;

  const dir = await mkdtemp(join(opts.baseDir ?? tmpdir(), "setpoint-cp-"));
  const unregisterDir = registerTempDir(dir);
  const procs: ManagedProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // API server first so it does not spend its shutdown complaining about a vanished etcd.
      for (const p of [...procs].reverse()) await p.stop();
      await rm(dir, { recursive: true, force: true });
      unregisterDir();
      unregisterCleanup();
    })();
    return stopped;
  };
  const unregisterCleanup = registerCleanup(stop);

  try {
    const token = randomBytes(32).toString("hex");
    const certDir = join(dir, "certs");
    const tokenFile = join(dir, "tokens.csv");
    // Format: token,user,uid,"group1,group2"
    await writeFile(tokenFile, `${token},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`, { mode: 0o600 });
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const saKey = join(dir, "sa.key");
    const saPub = join(dir, "sa.pub");
    await writeFile(saKey, sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await writeFile(saPub, sa.publicKey.export({ type: "spki", format: "pem" }));

    const etcd = await withPortRetry(async (attempt) => {
      const [clientPort, peerPort] = [await freePort(), await freePort()];
      const url = `http://127.0.0.1:${clientPort}`;
      const peer = `http://127.0.0.1:${peerPort}`;
      const p = spawnManaged({
        name: "etcd",
        command: binaries.etcd,
        args: [
          "--name=default",
          `--data-dir=${join(dir, "etcd")}`,
          `--listen-client-urls=${url}`,
          `--advertise-client-urls=${url}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=default=${peer}`,
          // Test data is thrown away: durability buys nothing and fsync dominates write latency.
          "--unsafe-no-fsync=true",
          "--log-level=warn",
        ],
        logPath: join(dir, `etcd${attempt ? `.${attempt}` : ""}.log`),
      });
      procs.push(p);
      await waitReady(p, timeoutMs, `etcd to answer ${url}/health`, async () => {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { health?: string };
        return res.ok && body.health === "true";
      });
      return { proc: p, url };
    });

    const api = await withPortRetry(async (attempt) => {
      const port = await freePort();
      const server = `https://127.0.0.1:${port}`;
      const p = spawnManaged({
        name: "kube-apiserver",
        command: binaries.kubeApiserver,
        args: [
          `--etcd-servers=${etcd.url}`,
          `--cert-dir=${certDir}`,
          "--advertise-address=127.0.0.1",
          "--bind-address=127.0.0.1",
          `--secure-port=${port}`,
          "--service-cluster-ip-range=10.0.0.0/24",
          "--allow-privileged=true",
          "--authorization-mode=RBAC",
          `--token-auth-file=${tokenFile}`,
          // No controller-manager runs, so no ServiceAccount would ever get created; envtest does the same.
          "--disable-admission-plugins=ServiceAccount",
          // Off by default, on in OpenShift and some hardened clusters: setting an ownerReference with
          // blockOwnerDeletion then needs update on the owner's finalizers, which the chart's RBAC must
          // grant (deploy/rbac/rules.ts). PodSecurity is on by default (the chart's tests rely on it).
          "--enable-admission-plugins=OwnerReferencesPermissionEnforcement",
          `--service-account-issuer=${server}/`,
          `--service-account-key-file=${saPub}`,
          `--service-account-signing-key-file=${saKey}`,
          "--profiling=false",
        ],
        logPath: join(dir, `kube-apiserver${attempt ? `.${attempt}` : ""}.log`),
      });
      procs.push(p);
      const certPath = join(certDir, "apiserver.crt");
      let ca: string | undefined;
      await waitReady(p, timeoutMs, `kube-apiserver to answer ${server}/readyz`, async () => {
        if (ca === undefined) {
          if (!existsSync(certPath)) return false;
          ca = await readFile(certPath, "utf8");
        }
        const r = await httpsGet(`${server}/readyz`, ca, token);
        return r.status === 200;
      });
      return { proc: p, server, ca: ca as string };
    });

    const kubeconfigPath = join(dir, "kubeconfig");
    await writeFile(kubeconfigPath, kubeconfig(api.server, api.ca, token), { mode: 0o600 });
    return {
      kubeconfigPath,
      server: api.server,
      token,
      caPem: api.ca,
      dir,
      etcdUrl: etcd.url,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function withPortRetry<T>(start: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await start(attempt);
    } catch (err) {
      // Only a lost race for a free port is worth another try; everything else is a real failure.
      if (!(err instanceof PortInUseError) || attempt + 1 >= MAX_PORT_ATTEMPTS) throw err;
    }
  }
}

async function waitReady(
  p: ManagedProcess,
  timeoutMs: number,
  what: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (!p.running()) {
      const exit = await p.exited;
      const tail = await p.tail(40);
      if (/address already in use/i.test(tail)) throw new PortInUseError(`${p.name}: port taken`);
      throw new Error(
        `${p.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${what}. ` +
          `Last lines of its log:\n${tail}`,
      );
    }
    try {
      if (await probe()) return;
      lastError = "not ready yet";
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(150);
  }
  const tail = await p.tail(40);
  await p.stop();
  throw new Error(
    `Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what} (last probe: ${lastError}). ` +
      `Last lines of its log:\n${tail}`,
  );
}

function httpsGet(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function kubeconfig(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: setpoint-test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    "users:",
    `- name: ${ADMIN_USER}`,
    "  user:",
    `    token: ${token}`,
    "contexts:",
    "- name: setpoint-test",
    "  context:",
    "    cluster: setpoint-test",
    `    user: ${ADMIN_USER}`,
    "current-context: setpoint-test",
    "",
  ].join("\n");
}

// `npx tsx controlplane/kube.ts` starts a control plane and keeps it up until Ctrl-C.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const cp = await startControlPlane();
  console.log(`server: ${cp.server}\nkubeconfig: ${cp.kubeconfigPath}\n(Ctrl-C to stop)`);
  await new Promise(() => {});
}
