// The examples are what new users apply first: each must pass its kind's schema.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { apiVersionOf } from "../controller/api/index.ts";
import { ALL } from "../providers/index.ts";

const dir = fileURLToPath(new URL(".", import.meta.url));

describe("examples/", async () => {
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith(".yaml"));

  it("holds an example of every kind", async () => {
    const kinds = new Set<string>();
    for (const f of files) {
      for (const doc of parseAllDocuments(await readFile(`${dir}${f}`, "utf8"))) kinds.add(doc.toJS()?.kind);
    }
    for (const def of ALL.crds) assert.ok(kinds.has(def.kind), `no ${def.kind} example`);
  });

  for (const file of files) {
    it(`${file} is valid against the schemas`, async () => {
      for (const doc of parseAllDocuments(await readFile(`${dir}${file}`, "utf8"))) {
        const obj = doc.toJS() as { apiVersion?: string; kind?: string; spec?: unknown };
        const def = ALL.crds.find((k) => k.kind === obj.kind && obj.apiVersion === apiVersionOf(k));
        if (!def) continue;
        const result = def.spec.safeParse(obj.spec);
        assert.ok(result.success, `${file} ${obj.kind}: ${result.error?.message}`);
      }
    });
  }
});
