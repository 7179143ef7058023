import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { z } from "zod";
import { ALL } from "../providers/index.ts";
import { crdFileName, crdFor, openApiOf, renderCrd } from "./generate.ts";
import { CRD_DIR } from "./write.ts";

describe("CRDs generated from the zod schemas", () => {
  for (const def of ALL.crds) {
    it(`crds/${crdFileName(def)} matches the ${def.kind} schema (run \`npm run crds\` after changing apis/)`, async () => {
      const onDisk = await readFile(`${CRD_DIR}${crdFileName(def)}`, "utf8");
      assert.equal(onDisk, renderCrd(def));
    });
  }

  it("every managed kind has the READY, SYNCED, DRIFTED, EXTERNAL-NAME and AGE columns", () => {
    for (const { def } of ALL.kinds) {
      const version = (crdFor(def).spec as { versions: { additionalPrinterColumns: { name: string }[] }[] })
        .versions[0];
      assert.deepEqual(
        version?.additionalPrinterColumns.map((c) => c.name),
        ["READY", "SYNCED", "DRIFTED", "EXTERNAL-NAME", "AGE"],
      );
    }
  });

  it("a union in a schema is refused, because a structural schema cannot express it", () => {
    assert.throws(() => openApiOf(z.object({ a: z.union([z.string(), z.number()]) })), /anyOf/);
  });

  it("fields with defaults stay optional for the user and carry their default", () => {
    const schema = openApiOf(z.object({ policy: z.enum(["A", "B"]).default("A"), name: z.string() }));
    assert.deepEqual(schema.required, ["name"]);
    assert.equal((schema.properties as Record<string, { default?: string }>).policy?.default, "A");
  });

  it("a property named like a JSON Schema keyword is kept", () => {
    const schema = openApiOf(z.object({ id: z.string(), $schema: z.string().optional() }));
    assert.deepEqual(Object.keys(schema.properties as object), ["id", "$schema"]);
  });

  it("unbounded integers carry no safe-integer bounds", () => {
    const schema = openApiOf(z.object({ n: z.number().int() }));
    assert.deepEqual((schema.properties as Record<string, unknown>).n, { type: "integer" });
  });
});
