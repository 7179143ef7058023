// The production bundle: self-contained, without the local-environment commands, with the licences
// of what it carries, and on a Node that every bundled package supports.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { isAtLeast, MIN_NODE } from "../bin/node-version.mjs";
import { BUNDLE_ENTRY, type BundleResult, bundle, NOTICES, ROOT } from "./bundle.ts";

/**
 * Whether `version` satisfies an engines range of the forms packages use: alternatives joined by
 * "||", each ">=X[.Y[.Z]]", "^X[...]" or "X[.x]". Undefined for a form this does not read.
 */
function satisfies(version: string, range: string): boolean | undefined {
  const major = (v: string) => Number.parseInt(v, 10);
  let known = true;
  const ok = range.split("||").some((alternative) => {
    const a = alternative.trim();
    let m = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(a);
    if (m?.[1]) return isAtLeast(version, m[1]);
    m = /^\^\s*(\d+(?:\.\d+){0,2})$/.exec(a);
    if (m?.[1]) return major(version) === major(m[1]) && isAtLeast(version, m[1]);
    m = /^(\d+)(?:\.x)?$/.exec(a);
    if (m?.[1]) return major(version) === major(m[1]);
    if (a === "*" || a === "") return true;
    known = false;
    return false;
  });
  if (ok) return true;
  return known ? false : undefined;
}

describe("satisfies", () => {
  const cases: [string, string, boolean | undefined][] = [
    ["22.19.0", ">=22.19.0", true],
    ["22.19.0", ">= 20", true],
    ["22.19.0", "^16 || ^18 || >=20", true],
    ["22.19.0", ">=22.20.0", false],
    ["22.19.0", "~22.1", undefined],
  ];
  for (const [version, range, expected] of cases)
    it(`says ${expected} for Node ${version} and "${range}"`, () =>
      assert.equal(satisfies(version, range), expected));
});

describe("the production bundle", { timeout: 120_000 }, () => {
  let out: string;
  let result: BundleResult;

  before(async () => {
    out = await mkdtemp(join(tmpdir(), "setpoint-bundle-test-"));
    // bundle() throws when the output would import anything but a Node built-in at run time.
    result = await bundle({ outdir: out });
  });
  after(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it("imports nothing at run time but Node built-ins, and exports the program's main()", async () => {
    assert.ok(result.files.some((f) => f.path === BUNDLE_ENTRY));
    const entry = await readFile(join(out, BUNDLE_ENTRY), "utf8");
    assert.match(entry, /export\s*\{[^}]*\bmain\b/);
  });

  it("leaves out the commands that need a checkout (demo, env) and their tools", () => {
    const local = result.inputs.filter((f) =>
      /^(controlplane|localstack|test|bench)\/|^cli\/(demo|local-commands)\.ts$/.test(f),
    );
    // The seeding (localstack/) is left out by path: @aws-sdk/client-ec2 itself is bundled now, for
    // the SecurityGroup provider.
    assert.deepEqual(local, []);
  });

  it("lists every bundled package's licence in its notices", async () => {
    const notices = await readFile(join(out, NOTICES), "utf8");
    for (const p of result.packages)
      assert.ok(notices.includes(`\n${p.name}@${p.version} (`), `${p.name} is not in ${NOTICES}`);
  });

  it("runs on the Node that setpoint requires, by every bundled package's engines field", async () => {
    const refused: string[] = [];
    for (const p of result.packages) {
      const manifest = JSON.parse(await readFile(join(p.dir, "package.json"), "utf8")) as {
        engines?: { node?: string };
      };
      const range = manifest.engines?.node;
      if (range && satisfies(MIN_NODE, range) !== true) refused.push(`${p.name}@${p.version} (${range})`);
    }
    assert.deepEqual(refused, [], `MIN_NODE ${MIN_NODE} in bin/node-version.mjs does not satisfy these`);
  });

  it("is why package.json needs no runtime dependencies: the npm package and the image install none", async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    assert.deepEqual(
      Object.keys(manifest.dependencies ?? {}),
      [],
      "list runtime packages under devDependencies: the build bundles them (scripts/bundle.ts)",
    );
  });
});
