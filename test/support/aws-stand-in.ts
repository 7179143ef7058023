// A small HTTP server standing in for the AWS emulator in unit tests of what sits between the SDK
// and the cloud (the fault proxy, the no-blind-resend middleware): it answers every query-protocol
// action with an empty success and records which actions reached it. Not an emulator: it keeps no
// state, so tests that need real answers run against moto (test/e2e).
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Stands in for the emulator: answers every action with an empty result and records it. */
export class StandInEmulator {
  readonly received: string[] = [];
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/moto-api/")) {
        this.received.push(`control ${req.url}`);
        res.end("{}");
        return;
      }
      const action = new URLSearchParams(Buffer.concat(chunks).toString()).get("Action") ?? "?";
      this.received.push(action);
      const ec2 = /Credential=[^/]+\/[^/]+\/[^/]+\/ec2\//.test(req.headers.authorization ?? "");
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(
        ec2
          ? `<${action}Response><requestId>r</requestId></${action}Response>`
          : `<${action}Response><${action}Result/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`,
      );
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  count(action: string): number {
    return this.received.filter((a) => a === action).length;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
