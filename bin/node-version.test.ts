// Every entry point refuses an old Node with a clear message before it imports anything that would
// crash on it: the undici `Cannot read properties of undefined (reading 'bind')` that users saw.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { ROOT } from "../scripts/bundle.ts";
import { isAtLeast, MIN_NODE } from "./node-version.mjs";

const exec = promisify(execFile);

describe("the Node version check", () => {
  const cases: [string, string, boolean][] = [
    ["24.21.0", "22.19.0", true],
    ["v22.19.0", "22.19.0", true],
    ["22.18.9", "22.19.0", false],
    ["22.20.0", "22.19.0", true],
    ["23.0.0", "22.19.0", true],
    ["20.20.2", "22.19.0", false],
  ];
  for (const [version, minimum, ok] of cases)
    it(`${ok ? "accepts" : "refuses"} Node ${version} when ${minimum} is needed`, () => {
      assert.equal(isAtLeast(version, minimum), ok);
    });

  it("needs the Node that package.json's engines field names", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    assert.equal(manifest.engines.node, `>=${MIN_NODE}`);
  });
});

/** A Node older than MIN_NODE on this machine (the system's Node 20 here), if there is one. */
function oldNode(): { path: string; version: string } | undefined {
  const which = spawnSync("sh", ["-c", "which -a node; ls /usr/local/bin/node /usr/bin/node 2>/dev/null"], {
    encoding: "utf8",
  });
  for (const path of new Set(which.stdout.split("\n").filter(Boolean))) {
    const version = spawnSync(path, ["--version"], { encoding: "utf8" }).stdout?.trim();
    if (version && !isAtLeast(version)) return { path, version };
  }
  return undefined;
}

describe("every entry point on an old Node", () => {
  const old = oldNode();
  const tsx = join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  // [entry point, how it is started on the old Node, what it calls itself in the message]
  const entries: [string, string[], string][] = [
    ["bin/setpoint.mjs (the installed command)", ["bin/setpoint.mjs", "--help"], "setpoint"],
    ["cli/main.ts (npm run setpoint)", [tsx, "cli/main.ts", "--help"], "setpoint"],
    ["scripts/test.ts (npm test)", [tsx, "scripts/test.ts", "--unit"], "npm test"],
    ["scripts/build.ts (npm run build)", [tsx, "scripts/build.ts"], "npm run build"],
    ["bench/run.ts (npm run bench)", [tsx, "bench/run.ts", "--help"], "npm run bench"],
    ["deploy/image/build.ts (npm run image)", [tsx, "deploy/image/build.ts", "--help"], "npm run image"],
  ];
  for (const [entry, args, name] of entries)
    it(`${entry} says which Node it needs instead of crashing`, async (t) => {
      if (!old) {
        console.error(
          `[node-version test] SKIPPING: no Node older than ${MIN_NODE} on this machine to start ${entry} with`,
        );
        return t.skip(`no Node older than ${MIN_NODE} on this machine`);
      }
      const run = await exec(old.path, args, { cwd: ROOT }).then(
        () => assert.fail(`${entry} ran on Node ${old.version}`),
        (err: { code?: number; stderr?: string }) => err,
      );
      assert.equal(run.code, 1);
      assert.match(
        run.stderr ?? "",
        new RegExp(
          `^${name} needs Node ${MIN_NODE.replace(/\./g, "\\.")} or newer, but this is Node ${old.version.slice(1)}`,
          "m",
        ),
      );
      assert.doesNotMatch(run.stderr ?? "", /TypeError|^\s+at \S/m, "a crash, not a message");
    });
});
