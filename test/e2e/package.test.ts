// setpoint's npm package as a user installs it: `npm pack` of this checkout (the compiled build that
// scripts/test.ts has just made), installed into an empty folder with `npm install --omit=dev`, and
// the `setpoint` command from node_modules/.bin: --help, crds, and run reconciling a SqlInstance.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { freePort } from "../../controlplane/ports.ts";
import { spawnManaged } from "../../controlplane/process.ts";
import { ALL } from "../../providers/index.ts";
import { ROOT } from "../../scripts/bundle.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { kubeconfigPath, useNamespace } from "../support/env.ts";
import { fastRunEnv, sqlInstanceRoundTrip, waitUntilReady } from "../support/roundtrip.ts";

const exec = promisify(execFile);

describe("the npm package", { timeout: 5 * 60_000 }, () => {
  const ns = useNamespace("package");
  let work: string;
  let app: string;
  let packedFiles: string[];
  // The Node that runs the tests (the project's Node 24) first on PATH, for the bin's `#!/usr/bin/env node`.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
  const setpoint = (...args: string[]) =>
    exec(join(app, "node_modules", ".bin", "setpoint"), args, { env, cwd: app, maxBuffer: 1 << 24 });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "setpoint-package-test-"));
    const packed = JSON.parse(
      (await exec("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, env })).stdout,
    ) as { filename: string; files: { path: string }[] }[];
    packedFiles = (packed[0]?.files ?? []).map((f) => f.path).sort();
    app = join(work, "app");
    await mkdir(app);
    await exec(
      "npm",
      [
        "install",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        join(work, packed[0]?.filename ?? ""),
      ],
      { cwd: app, env },
    );
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("ships the compiled build and its launcher, and no sources or tests", () => {
    assert.ok(packedFiles.includes("bin/setpoint.mjs"), packedFiles.join(", "));
    assert.ok(packedFiles.includes("dist/setpoint.mjs"), packedFiles.join(", "));
    assert.ok(packedFiles.includes("dist/THIRD-PARTY-NOTICES.txt"), packedFiles.join(", "));
    assert.deepEqual(
      packedFiles.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.mts")),
      [],
      "no TypeScript in the package",
    );
  });

  it("installs nothing but itself: the build bundles its runtime packages", async () => {
    const installed = (await readdir(join(app, "node_modules"))).filter((d) => !d.startsWith("."));
    assert.deepEqual(installed, ["setpoint"]);
  });

  it("prints its help and its CRDs", async () => {
    const help = await setpoint("--help");
    assert.match(help.stdout, /^Usage: setpoint /m);
    for (const command of ["run", "drift", "crds"])
      assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
    const crds = await setpoint("crds");
    const kinds = parseAllDocuments(crds.stdout)
      .map((d) => d.toJS() as { kind?: string; spec?: { names?: { kind?: string } } } | null)
      .filter((d) => d?.kind === "CustomResourceDefinition")
      .map((d) => d?.spec?.names?.kind)
      .sort();
    assert.deepEqual(kinds, ALL.crds.map((d) => d.kind).sort());
  });

  it("runs the controller, which reconciles a SqlInstance to Ready and deletes it again", async () => {
    await installAwsProviderConfig();
    const metrics = `127.0.0.1:${await freePort()}`;
    const controller = spawnManaged({
      name: "setpoint run (installed package)",
      command: join(app, "node_modules", ".bin", "setpoint"),
      args: ["run"],
      cwd: app,
      env: {
        ...env,
        KUBECONFIG: kubeconfigPath(),
        ...fastRunEnv(metrics, ns.name),
      },
      logPath: join(work, "controller.log"),
    });
    try {
      const logs = () => controller.tail(40);
      await waitUntilReady(metrics, logs);
      await sqlInstanceRoundTrip(ns.name, "package-db", logs);
      await controller.stop(20_000);
      assert.equal((await controller.exited).code, 0, await logs());
    } finally {
      await controller.stop();
    }
  });
});
