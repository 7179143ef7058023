// The HTTP framing of KubeClient: how bytes on the wire become objects, events and errors. A loopback
// HTTP server plays back exact byte sequences (events split across chunks, a refused watch), which a
// real apiserver cannot be made to produce on demand; what the apiserver does with the requests is
// covered end to end in test/e2e/kube-*.test.ts.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { KubeClient, METADATA_ONLY_WATCH } from "./client.ts";
import { httpStatus, isGone, KubeApiError } from "./errors.ts";
import { StaticCredentials } from "./kube-auth.ts";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
let server: http.Server;
let client: KubeClient;
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  client = new KubeClient(
    `http://127.0.0.1:${port}`,
    new StaticCredentials({ name: "c", server: "" }, { name: "u", token: "tok" }),
  );
});

after(() => {
  client.close();
  server.closeAllConnections();
  server.close();
});

function watchEvents(path: string, accept?: string) {
  const events: string[] = [];
  return new Promise<{ events: string[]; err: unknown }>((resolve) => {
    client.watch(
      path,
      { resourceVersion: "5" },
      (type, obj) => events.push(`${type} ${(obj as { metadata?: { name?: string } }).metadata?.name}`),
      (err) => resolve({ events, err }),
      accept ? { accept } : {},
    );
  });
}

describe("KubeClient requests", () => {
  it("sends JSON with the bearer token and the given content type, and parses the answer", async () => {
    handler = (_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end('{"ok":true}');
    const out = await client.request("PATCH", "/apis/g/v1/namespaces/n/things/a", {
      body: { spec: { x: 1 } },
      contentType: "application/merge-patch+json",
      query: { fieldManager: "setpoint", dryRun: undefined },
    });
    assert.deepEqual(out, { ok: true });
    const req = seen.at(-1);
    assert.equal(req?.method, "PATCH");
    assert.equal(req?.url, "/apis/g/v1/namespaces/n/things/a?fieldManager=setpoint");
    assert.equal(req?.headers.authorization, "Bearer tok");
    assert.equal(req?.headers["content-type"], "application/merge-patch+json");
    assert.equal(req?.body, '{"spec":{"x":1}}');
  });

  it("turns an error answer into a KubeApiError with the status code and the apiserver's message", async () => {
    handler = (_req, res) =>
      res
        .writeHead(409)
        .end(JSON.stringify({ kind: "Status", reason: "Conflict", message: "modified", code: 409 }));
    await assert.rejects(
      client.request("PUT", "/api/v1/namespaces/n/secrets/s", { body: {} }),
      (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(httpStatus(err), 409);
        assert.equal(err.message, "PUT /api/v1/namespaces/n/secrets/s: HTTP 409 Conflict: modified");
        return true;
      },
    );
  });

  it("gives up after the timeout with a TimeoutError", async () => {
    handler = () => {};
    await assert.rejects(client.request("GET", "/slow", { timeoutMs: 100 }), { name: "TimeoutError" });
  });
});

describe("KubeClient watches", () => {
  it("decodes events that arrive split across chunks, then reports a clean end", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      const line1 = '{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n';
      const line2 = '{"type":"MODIFIED","object":{"metadata":{"name":"b"}}}\n';
      const bytes = line1 + line2;
      res.write(bytes.slice(0, 10));
      setTimeout(() => res.write(bytes.slice(10, 60)), 20);
      setTimeout(() => res.end(bytes.slice(60)), 40);
    };
    const { events, err } = await watchEvents("/apis/g/v1/things");
    assert.deepEqual(events, ["ADDED a", "MODIFIED b"]);
    assert.equal(err, undefined);
    assert.match(seen.at(-1)?.url ?? "", /watch=true/);
  });

  it("reports a refused watch as an error with the HTTP status, such as 410", async () => {
    handler = (_req, res) =>
      res.writeHead(410).end(JSON.stringify({ kind: "Status", code: 410, reason: "Expired" }));
    const { events, err } = await watchEvents("/apis/g/v1/things");
    assert.deepEqual(events, []);
    assert.equal(isGone(err), true);
  });

  it("asks for metadata only when told to", async () => {
    handler = (_req, res) => res.writeHead(200).end();
    await watchEvents("/api/v1/secrets", METADATA_ONLY_WATCH);
    assert.equal(seen.at(-1)?.headers.accept, METADATA_ONLY_WATCH);
  });

  it("ends with an error when the connection drops mid-stream", async () => {
    handler = (req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n');
      setTimeout(() => req.socket.destroy(), 20);
    };
    const { events, err } = await watchEvents("/apis/g/v1/things");
    assert.deepEqual(events, ["ADDED a"]);
    assert.ok(err instanceof Error);
  });
});
