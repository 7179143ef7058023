// The catalogue's own shape, checked without a server: test/e2e/bad-inputs.test.ts runs its entries.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AWS } from "../../../providers/index.ts";
import { CATALOGUE, CATEGORIES, census } from "./index.ts";

describe("the catalogue of bad inputs", () => {
  it("has at least 100 entries, for every kind the registry serves and every kind of mistake", () => {
    const c = census();
    assert.ok(c.total >= 100, `only ${c.total} entries`);
    for (const kind of AWS.crds.map((d) => d.kind)) {
      assert.ok(c.byKind[kind]?.rejected, `no rejected ${kind}`);
      assert.ok(c.byKind[kind]?.answered, `no answered ${kind}`);
    }
    for (const category of CATEGORIES) assert.ok(c.byCategory[category] > 0, `no entry for ${category}`);
  });

  it("gives every entry a name of its own, and every expectation a field or a message", () => {
    assert.equal(new Set(CATALOGUE.map((e) => e.name)).size, CATALOGUE.length, "two entries share a name");
    for (const e of CATALOGUE) {
      if (e.outcome === "rejected") assert.match(e.expect.field, /^(spec|metadata)(\.|$)/, e.name);
      else assert.ok(e.expect.maxCloudCalls >= 0 && e.expect.event.startsWith("Cannot"), e.name);
    }
  });
});
