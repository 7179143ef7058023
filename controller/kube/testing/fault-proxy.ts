// A loopback HTTP proxy in front of the test apiserver that can misbehave on command, so end-to-end
// tests can show how the Kubernetes glue survives faults that a healthy local apiserver never
// produces: a watch connection cut mid-stream, a watch that stays open but silently stops delivering
// (what a dropped NAT entry or a hung apiserver looks like from the client), a watch that resumes from
// a resourceVersion the apiserver has already compacted (rewritten to "1", so the real apiserver
// answers with a real 410 Expired), and an apiserver that is unreachable altogether. Test support only.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

interface ActiveWatch {
  client: http.ServerResponse;
  upstream: http.IncomingMessage;
  frozen: boolean;
}

export class FaultProxy {
  readonly #server: http.Server;
  readonly #target: URL;
  readonly #agent: https.Agent | undefined;
  readonly #source: KubeConfig;
  readonly #watches = new Set<ActiveWatch>();
  readonly #sockets = new Set<Socket>();
  #rewriteWatchRV: { rv: string; times: number } | undefined;
  #down = false;
  /** Query strings of every watch request seen, in order. */
  readonly watchRequests: URLSearchParams[] = [];
  /** Paths of every non-watch request seen. */
  readonly requests: string[] = [];

  private constructor(source: KubeConfig) {
    this.#source = source;
    const cluster = source.getCurrentCluster();
    if (!cluster) throw new Error("FaultProxy: the KubeConfig has no current cluster");
    this.#target = new URL(cluster.server);
    if (this.#target.protocol === "https:") {
      const ca = cluster.caData
        ? Buffer.from(cluster.caData, "base64")
        : cluster.caFile
          ? readFileSync(cluster.caFile)
          : undefined;
      this.#agent = new https.Agent({
        keepAlive: true,
        ...(ca ? { ca } : {}),
        rejectUnauthorized: !cluster.skipTLSVerify,
      });
    }
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.on("connection", (socket) => {
      if (this.#down) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  /** Starts a proxy for the cluster `source` points at. */
  static async start(source: KubeConfig): Promise<FaultProxy> {
    const proxy = new FaultProxy(source);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** A KubeConfig with the source's user, pointed at this proxy. */
  kubeConfig(): KubeConfig {
    const user = this.#source.getCurrentUser();
    if (!user) throw new Error("FaultProxy: the KubeConfig has no current user");
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "proxy", server: this.url, skipTLSVerify: true }],
      users: [user],
      contexts: [{ name: "proxy", cluster: "proxy", user: user.name }],
      currentContext: "proxy",
    });
    return kc;
  }

  /** Watch streams currently open through the proxy. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Cuts every open watch connection, as a network failure would. */
  breakWatches(): number {
    const n = this.#watches.size;
    for (const w of this.#watches) {
      w.upstream.destroy();
      w.client.destroy();
    }
    this.#watches.clear();
    return n;
  }

  /**
   * Keeps every open watch connection open but delivers nothing more on it: the client sees a
   * perfectly healthy, perfectly silent stream. Later watches are not affected.
   */
  freezeWatches(): number {
    for (const w of this.#watches) {
      w.frozen = true;
      w.upstream.pause();
    }
    return this.#watches.size;
  }

  /** The next `times` watch requests ask for resourceVersion `rv` instead of what the client sent. */
  rewriteNextWatches(rv: string, times = 1): void {
    this.#rewriteWatchRV = { rv, times };
  }

  /** While down, every connection is dropped at once and every open one is cut. */
  setDown(down: boolean): void {
    this.#down = down;
    if (down) {
      for (const s of this.#sockets) s.destroy();
      this.#watches.clear();
    }
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#agent?.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#down) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? "/", this.#target);
    const isWatch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    if (isWatch) {
      const rewrite = this.#rewriteWatchRV;
      if (rewrite && rewrite.times > 0) {
        url.searchParams.set("resourceVersion", rewrite.rv);
        rewrite.times--;
        if (rewrite.times === 0) this.#rewriteWatchRV = undefined;
      }
      this.watchRequests.push(new URLSearchParams(url.searchParams));
    } else {
      this.requests.push(`${req.method} ${url.pathname}`);
    }
    const headers = { ...req.headers, host: this.#target.host };
    const request = (this.#target.protocol === "https:" ? https : http).request(
      url,
      { method: req.method, headers, ...(this.#agent ? { agent: this.#agent } : {}) },
      (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        res.flushHeaders();
        if (!isWatch) {
          upstream.pipe(res);
          return;
        }
        const w: ActiveWatch = { client: res, upstream, frozen: false };
        this.#watches.add(w);
        upstream.on("data", (chunk: Buffer) => {
          if (!w.frozen) res.write(chunk);
        });
        const end = () => {
          this.#watches.delete(w);
          if (!w.frozen) res.end();
        };
        upstream.on("end", end);
        upstream.on("error", () => {
          this.#watches.delete(w);
          res.destroy();
        });
        res.on("close", () => {
          this.#watches.delete(w);
          upstream.destroy();
        });
      },
    );
    request.on("error", () => res.destroy());
    req.pipe(request);
  }
}
