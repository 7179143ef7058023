import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadPrograms } from "./programs.ts";
import { Slots } from "./runtime.ts";
import { redactor } from "./target.ts";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples", "pulumi");

describe("the limit on Pulumi operations at once", () => {
  it("runs at most its size at a time, and the rest in the order they came", async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const jobs = [0, 1, 2, 3].map((i) =>
      slots.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await new Promise<void>((r) => gates.push(r));
        running--;
      }),
    );
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    assert.equal(slots.waiting, 2);
    for (let i = 0; i < 4; i++) {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await Promise.all(jobs);
    assert.equal(most, 2);
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  it("frees its slot when the operation fails", async () => {
    const slots = new Slots(1);
    await assert.rejects(slots.run(() => Promise.reject(new Error("boom"))));
    assert.equal(await slots.run(async () => "next"), "next");
  });
});

describe("the example programs", () => {
  it("load, each with a digest of its files", async () => {
    const programs = await loadPrograms(EXAMPLES);
    assert.deepEqual([...programs.keys()], ["kubernetes-configmap", "s3-bucket"]);
    for (const p of programs.values()) {
      assert.equal(p.loadError, undefined);
      assert.equal(typeof p.run, "function");
      assert.match(p.id, new RegExp(`^${p.name}@[0-9a-f]{12}$`));
      assert.equal(p.dir, EXAMPLES);
    }
  });
});

describe("the redaction of messages", () => {
  it("hides each secret, and the long lines of a multi-line one such as a kubeconfig", () => {
    const kubeconfig = "apiVersion: v1\nusers:\n- user:\n    token: eyJhbGciOiJSUzI1NiIsImtpZCI6Ijk5In0\n";
    const redact = redactor(["hunter2-passphrase", kubeconfig]);
    assert.equal(
      redact("bad passphrase hunter2-passphrase; token: eyJhbGciOiJSUzI1NiIsImtpZCI6Ijk5In0; apiVersion: v1"),
      "bad passphrase [secret]; [secret]; apiVersion: v1",
    );
  });
});
