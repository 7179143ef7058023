import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { afterEach, describe, it } from "node:test";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import type { CloudCallKey } from "../../../controller/provider.ts";
import {
  type AwsClientConfig,
  destroySharedClients,
  SDK_CONNECTION_TIMEOUT_MS,
  SDK_REQUEST_TIMEOUT_MS,
  sharedClient,
  sharedClientCount,
} from "./clients.ts";
import type { AwsConnection } from "./connection.ts";

const EMPTY_DESCRIBE = `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
<DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>
<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`;

/** A request handler that answers from memory, so no network is involved. */
function stubHandler(statuses: number[]) {
  let i = 0;
  return {
    calls: () => i,
    handler: {
      handle: async () => {
        const status = statuses[Math.min(i++, statuses.length - 1)]!;
        const { Readable } = await import("node:stream");
        const body =
          status === 200
            ? EMPTY_DESCRIBE
            : `<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`;
        return {
          response: {
            statusCode: status,
            headers: { "content-type": "text/xml" },
            body: Readable.from([Buffer.from(body)]),
          },
        };
      },
    },
  };
}

function conn(key: string, budget?: { take(k: CloudCallKey): Promise<void> }, secret = "s"): AwsConnection {
  const c: AwsConnection = {
    region: "us-east-1",
    endpoint: "http://localhost:1",
    credentials: { accessKeyId: "a", secretAccessKey: secret },
    account: `secret:${key}`,
    key: `secret:${key}/us-east-1/http://localhost:1`,
  };
  if (budget) c.budget = budget;
  return c;
}

afterEach(() => destroySharedClients());

describe("sharedClient", () => {
  it("returns one client per connection key and service", () => {
    const make = (cfg: ConstructorParameters<typeof RDSClient>[0]) => new RDSClient(cfg!);
    const a1 = sharedClient(conn("a"), "rds", make);
    const a2 = sharedClient(conn("a"), "rds", make);
    const b = sharedClient(conn("b"), "rds", make);
    assert.equal(a1, a2);
    assert.notEqual(a1, b);
    assert.equal(sharedClientCount(), 2);
  });

  it("replaces the client when the credentials rotate, keeping one entry per key", () => {
    const make = (cfg: ConstructorParameters<typeof RDSClient>[0]) => new RDSClient(cfg!);
    const old = sharedClient(conn("a"), "rds", make);
    const rotated = sharedClient(conn("a", undefined, "s2"), "rds", make);
    assert.notEqual(old, rotated);
    assert.equal(sharedClientCount(), 1);
  });

  it("takes budget once per HTTP attempt, retries included, with the operation name", async () => {
    const taken: CloudCallKey[] = [];
    const budget = { take: async (k: CloudCallKey) => void taken.push(k) };
    const stub = stubHandler([500, 200]);
    const client = sharedClient(
      conn("c", budget),
      "rds",
      (cfg) => new RDSClient({ ...cfg, requestHandler: stub.handler }),
    );
    await client.send(new DescribeDBInstancesCommand({}));
    assert.equal(stub.calls(), 2);
    assert.equal(taken.length, 2);
    assert.deepEqual(taken[0], {
      account: "secret:c",
      region: "us-east-1",
      service: "rds",
      operation: "DescribeDBInstances",
    });
  });

  it("gives up after the configured number of attempts", async () => {
    const stub = stubHandler([500]);
    const client = sharedClient(
      conn("d"),
      "rds",
      (cfg) => new RDSClient({ ...cfg, requestHandler: stub.handler }),
    );
    await assert.rejects(client.send(new DescribeDBInstancesCommand({})));
    assert.equal(stub.calls(), 3);
  });

  it("gives every client a request timeout, so a hung connection cannot stall a reconcile", () => {
    let seen: AwsClientConfig | undefined;
    sharedClient(conn("e"), "rds", (cfg) => {
      seen = cfg;
      return new RDSClient(cfg);
    });
    assert.deepEqual(seen?.requestHandler, {
      requestTimeout: SDK_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: SDK_REQUEST_TIMEOUT_MS,
      connectionTimeout: SDK_CONNECTION_TIMEOUT_MS,
    });
  });

  it("fails a call to a server that never answers with a TimeoutError, after every attempt", async () => {
    // A real socket that accepts and stays silent, as a hung connection does.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on("error", () => {});
    });
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as { port: number };
    try {
      const c = { ...conn("f"), endpoint: `http://127.0.0.1:${port}`, key: `f/${port}` };
      // The same options, shortened so the test takes a second, not 90.
      const client = sharedClient(
        c,
        "rds",
        (cfg) =>
          new RDSClient({
            ...cfg,
            requestHandler: { ...cfg.requestHandler, requestTimeout: 150, socketTimeout: 150 },
          }),
      );
      const started = Date.now();
      await assert.rejects(client.send(new DescribeDBInstancesCommand({})), { name: "TimeoutError" });
      assert.ok(Date.now() - started < 10_000, "gave up within seconds");
      assert.equal(sockets.size, 3, "one connection per attempt");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
