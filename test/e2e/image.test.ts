// The container image, built as `npm run image` builds it and verified by running it: runc runs the
// unpacked image as the chart's pod would (read-only root filesystem, numeric non-root user, every
// capability dropped, /tmp as the only writable place) on host networking against the test
// kube-apiserver and moto, and a SqlInstance reaches Ready and is deleted again.
//
// The tools come from Debian (umoci to build, runc to run). When they are missing, this file installs
// them if it runs as root with apt (as CI does; SETPOINT_INSTALL_IMAGE_TOOLS=0 turns that off), and
// otherwise skips loudly with the command to install them.
import assert from "node:assert/strict";
import { lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../controlplane/ports.ts";
import { type BuiltImage, buildImage } from "../../deploy/image/image.ts";
import { checkDebianRelease } from "../../deploy/image/layers.ts";
import { IMAGE, USER } from "../../deploy/image/spec.ts";
import { BUILD_TOOLS, ensureTools, RUN_TOOLS } from "../../deploy/image/tools.ts";
import { installAwsProviderConfig } from "../support/aws.ts";
import { type Container, fileForUser, runContainer, unpackImage } from "../support/container.ts";
import { kubeconfigPath, useNamespace } from "../support/env.ts";
import { fastRunEnv, sqlInstanceRoundTrip, waitUntilReady } from "../support/roundtrip.ts";

const say = (line: string) => console.error(`[image test] ${line}`);

/** Why the image cannot be built or run here, or undefined when it can. */
async function toolsMissing(): Promise<string | undefined> {
  try {
    await checkDebianRelease();
  } catch (err) {
    return (err as Error).message;
  }
  const tools = await ensureTools(
    { ...BUILD_TOOLS, ...RUN_TOOLS },
    { install: process.env.SETPOINT_INSTALL_IMAGE_TOOLS !== "0", log: say },
  );
  return tools.ok ? undefined : tools.reason;
}

/** Every path in a root filesystem, with its owner and mode. */
interface Entry {
  path: string;
  uid: number;
  mode: number;
  link: boolean;
}

async function walk(root: string, at = ""): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const name of await readdir(join(root, at))) {
    const path = `${at}/${name}`;
    const info = await lstat(join(root, path));
    out.push({ path, uid: info.uid, mode: info.mode, link: info.isSymbolicLink() });
    if (info.isDirectory()) out.push(...(await walk(root, path)));
  }
  return out;
}

describe("the container image", { timeout: 10 * 60_000 }, () => {
  const ns = useNamespace("image");
  let skipReason: string | undefined;
  let work: string;
  let built: BuiltImage;
  let rootfs: string;
  let bundles = 0;

  /** A fresh bundle for each container: runc writes mount points into the rootfs it runs. */
  async function bundle(): Promise<string> {
    const dir = join(work, `bundle-${++bundles}`);
    await unpackImage(built.oci.ref, dir);
    return dir;
  }

  before(async () => {
    skipReason = await toolsMissing();
    if (skipReason) {
      console.error(`\n[image test] SKIPPING the container image tests: ${skipReason}\n`);
      return;
    }
    work = await mkdtemp(join(tmpdir(), "setpoint-image-test-"));
    const t0 = Date.now();
    built = await buildImage({ outDir: join(work, "build"), log: say });
    say(`built ${built.oci.ref} (${built.oci.manifestDigest}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const first = await bundle();
    rootfs = join(first, "rootfs");
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("holds Node, its libraries and setpoint's package, all owned by root, and no shell or node_modules", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const entries = await walk(rootfs);
    const paths = new Set(entries.map((e) => e.path));
    for (const needed of [
      "/usr/local/bin/node",
      "/app/bin/setpoint.mjs",
      "/app/dist/setpoint.mjs",
      "/app/dist/THIRD-PARTY-NOTICES.txt",
      "/lib64/ld-linux-x86-64.so.2",
      "/etc/passwd",
      "/var/lib/dpkg/status.d/libc6",
      "/usr/share/doc/libc6/copyright",
      "/usr/local/share/doc/node/LICENSE",
    ])
      assert.ok(paths.has(needed), `${needed} is missing from the image`);
    for (const absent of ["/bin/sh", "/usr/bin/apt-get", "/usr/bin/env"])
      assert.ok(!paths.has(absent), `${absent} should not be in the image`);
    assert.deepEqual(
      entries.filter((e) => e.path.includes("node_modules")).map((e) => e.path),
      [],
      "the bundle needs no node_modules",
    );
    assert.deepEqual(
      entries.filter((e) => e.uid !== 0).map((e) => e.path),
      [],
      "every file belongs to root",
    );
    assert.deepEqual(
      // A symlink's own mode means nothing.
      entries.filter((e) => !e.link && e.mode & 0o002).map((e) => e.path),
      ["/tmp"],
      "only /tmp is writable by others",
    );
  });

  it("runs as the numeric non-root user without capabilities, and can write only to /tmp", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const probe = [
      "const fs = require('node:fs');",
      "const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };",
      "const status = fs.readFileSync('/proc/self/status', 'utf8');",
      "console.log(JSON.stringify({",
      "  uid: process.getuid(), gid: process.getgid(),",
      "  capEff: /^CapEff:\\s+(\\S+)/m.exec(status)[1], noNewPrivs: /^NoNewPrivs:\\s+(\\S+)/m.exec(status)[1],",
      "  app: tryWrite('/app/x'), root: tryWrite('/x'), tmp: tryWrite('/tmp/x'), home: tryWrite(process.env.HOME + '/x'),",
      "}));",
    ].join("\n");
    const logPath = join(work, "probe.log");
    const c = await runContainer({
      bundle: await bundle(),
      id: `setpoint-probe-${process.pid}`,
      args: ["/usr/local/bin/node", "-e", probe],
      logPath,
    });
    try {
      const exit = await c.process.exited;
      const out = await c.process.tail(20);
      assert.equal(exit.code, 0, out);
      say(`probe ran under ${c.runtime}${c.refused ? ` (runc refused: ${c.refused})` : ""}: ${out.trim()}`);
      const line = out.split("\n").find((l) => l.startsWith("{")) ?? "{}";
      const seen = JSON.parse(line) as Record<string, string | number>;
      assert.deepEqual(
        { uid: seen.uid, gid: seen.gid, app: seen.app, root: seen.root, tmp: seen.tmp, home: seen.home },
        { uid: USER.uid, gid: USER.gid, app: "EROFS", root: "EROFS", tmp: "ok", home: "EROFS" },
      );
      if (c.runtime === "runc") assert.deepEqual([seen.capEff, seen.noNewPrivs], ["0000000000000000", "1"]);
    } finally {
      await c.stop();
    }
  });

  it("runs `setpoint run` as its entrypoint and reconciles a SqlInstance to Ready and back to nothing", async (t) => {
    if (skipReason) return t.skip(skipReason);
    await installAwsProviderConfig();
    const dir = await bundle();
    const kubeconfig = await fileForUser(kubeconfigPath(), join(work, "kubeconfig"), USER);
    const metrics = `127.0.0.1:${await freePort()}`;
    const logPath = join(work, "controller.log");
    let c: Container | undefined;
    try {
      // The image's own entrypoint (no args given), configured through the environment as the chart does.
      c = await runContainer({
        bundle: dir,
        id: `setpoint-run-${process.pid}`,
        binds: [{ source: kubeconfig, destination: "/var/run/setpoint/kubeconfig" }],
        env: {
          KUBECONFIG: "/var/run/setpoint/kubeconfig",
          ...fastRunEnv(metrics, ns.name),
        },
        logPath,
      });
      const container = c;
      say(`controller container under ${c.runtime}`);
      const logs = () => container.process.tail(40);
      await waitUntilReady(metrics, logs);
      await sqlInstanceRoundTrip(ns.name, "image-db", logs);

      await c.process.stop(20_000);
      const exit = await c.process.exited;
      const output = await c.process.tail(400);
      assert.equal(exit.code, 0, `the container did not exit 0 on SIGTERM:\n${output}`);
      assert.doesNotMatch(
        output,
        /EROFS|EACCES|read-only file system/i,
        "the controller tried to write to the image",
      );
    } finally {
      await c?.stop();
    }
  });

  it("carries the description's user, entrypoint, environment and labels, in one layer per part", (t) => {
    if (skipReason) return t.skip(skipReason);
    const { config } = built.oci;
    assert.deepEqual(
      {
        user: config.config.User,
        entrypoint: config.config.Entrypoint,
        workingDir: config.config.WorkingDir,
        labels: config.config.Labels,
      },
      {
        user: `${USER.uid}:${USER.gid}`,
        entrypoint: IMAGE.entrypoint,
        workingDir: IMAGE.workingDir,
        labels: IMAGE.labels,
      },
    );
    assert.deepEqual(
      [...(config.config.Env ?? [])].sort(),
      Object.entries(IMAGE.env)
        .map(([k, v]) => `${k}=${v}`)
        .sort(),
    );
    assert.equal(config.rootfs.diff_ids.length, IMAGE.layers.length);
    say(
      `image ${(built.oci.compressedBytes / 1e6).toFixed(1)} MB compressed: ${built.oci.layers
        .map((l) => `${l.name} ${(l.compressedBytes / 1e6).toFixed(1)} MB`)
        .join(", ")}`,
    );
  });
});
