import { createServer } from "node:net";

/**
 * A loopback TCP port that was free a moment ago (bind :0, read the port, close). Another process can
 * still take it before our child binds it; callers retry startup when a child reports the port in use.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("could not read the bound port"));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
