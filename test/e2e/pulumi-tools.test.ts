// Smoke tests of the Pulumi CLI and Pulumi's kubernetes resource plugin that controlplane/tools.ts
// builds: each answers as the engine would ask it. PulumiStack's own tests use them for real.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { PULUMI_KUBERNETES_VERSION, PULUMI_VERSION } from "../../controlplane/tools.ts";
import { needTool, pathOf, skipUnless } from "../support/tools.ts";

const pulumi = needTool("pulumi");
const plugin = needTool("pulumi-resource-kubernetes");
const run = promisify(execFile);

/** A unary gRPC call with an empty request, over node's own HTTP/2 client; resolves with the reply's bytes. */
function grpcUnaryEmpty(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("trailers", (t) => {
      status = String(t["grpc-status"]);
    });
    req.on("response", (h) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
    });
    req.on("end", () => {
      session.close();
      if (status !== "0") return reject(new Error(`${path} answered grpc-status ${status}`));
      const body = Buffer.concat(chunks);
      // Length-prefixed message: 1 byte compressed flag, 4 bytes big-endian length.
      resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
    });
    req.on("error", reject);
    // An empty message (google.protobuf.Empty): not compressed, length 0.
    req.end(Buffer.from([0, 0, 0, 0, 0]));
  });
}

/** Field 1 of a protobuf message, as a string (PluginInfo.version). */
function stringField1(msg: Buffer): string {
  assert.equal(msg[0], 0x0a, "field 1, length-delimited");
  let len = 0;
  let shift = 0;
  let i = 1;
  for (;;) {
    const b = msg[i++] as number;
    len |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  return msg.subarray(i, i + len).toString("utf8");
}

describe("the Pulumi CLI and its kubernetes plugin", { timeout: 120_000 }, () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "setpoint-pulumi-home-"));
  });
  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });
  const env = () => ({ ...process.env, PULUMI_HOME: home, PULUMI_SKIP_UPDATE_CHECK: "true" });

  it(`pulumi version is ${PULUMI_VERSION}`, { skip: skipUnless(pulumi) }, async () => {
    const { stdout } = await run(pathOf(pulumi), ["version"], { env: env() });
    assert.equal(stdout.trim(), PULUMI_VERSION);
  });

  it(`the plugin serves gRPC and reports version ${PULUMI_KUBERNETES_VERSION}`, {
    skip: skipUnless(plugin),
  }, async () => {
    // Like the engine: start the plugin, read the port it prints, and ask it over gRPC.
    const child = spawn(pathOf(plugin), [], { env: env(), stdio: ["ignore", "pipe", "pipe"] });
    const stderr: string[] = [];
    child.stderr.on("data", (d) => stderr.push(String(d)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout }).once("line", (l) => resolve(Number(l.trim())));
        child.once("exit", (code) => reject(new Error(`the plugin exited (${code}): ${stderr.join("")}`)));
      });
      assert.ok(port > 0, "the plugin prints its port first");
      const info = await grpcUnaryEmpty(port, "/pulumirpc.ResourceProvider/GetPluginInfo");
      assert.equal(stringField1(info), PULUMI_KUBERNETES_VERSION);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("the CLI installs the plugin from the built binary and lists it", {
    skip: skipUnless(pulumi, plugin),
  }, async () => {
    await run(
      pathOf(pulumi),
      ["plugin", "install", "resource", "kubernetes", PULUMI_KUBERNETES_VERSION, "--file", pathOf(plugin)],
      { env: env() },
    );
    const { stdout } = await run(pathOf(pulumi), ["plugin", "ls", "--json"], { env: env() });
    const plugins = JSON.parse(stdout) as { name: string; kind: string; version: string }[];
    assert.deepEqual(
      plugins.map((p) => [p.kind, p.name, p.version]),
      [["resource", "kubernetes", PULUMI_KUBERNETES_VERSION]],
    );
  });
});
