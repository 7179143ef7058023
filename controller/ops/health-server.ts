// /healthz, /readyz and /metrics on one small HTTP server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthChecks {
  /** The process is alive and its loops are turning. */
  healthy(): boolean;
  /** Caches are synced, so this replica can serve (leader or standby). */
  ready(): boolean;
}

export interface HealthServer {
  address: string;
  close(): Promise<void>;
}

/** Starts the server on `address` ("host:port"; port 0 picks a free one). */
export async function startHealthServer(
  address: string,
  registry: Registry,
  checks: HealthChecks,
): Promise<HealthServer> {
  const [host, portText] = splitHostPort(address);
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(await registry.metrics());
    } else if (path === "/healthz" || path === "/readyz") {
      const ok = path === "/healthz" ? checks.healthy() : checks.ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" });
      res.end(ok ? "ok\n" : "not ready\n");
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host, resolve);
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(":");
  if (i < 0) return ["127.0.0.1", address];
  return [address.slice(0, i) || "0.0.0.0", address.slice(i + 1)];
}
