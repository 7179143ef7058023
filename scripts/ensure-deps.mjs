// Runs before `npm test` / `npm run demo`, on whatever node the machine has (Node 20 is enough for this
// file: plain JS, no TypeScript, no dependencies). It installs node_modules when they are missing or
// older than the lock file, then checks that the project's own Node (the `node` devDependency, which
// npm puts first on PATH for scripts) is new enough for the rest of the project (bin/node-version.mjs).

import { spawnSync } from "node:child_process";
import { existsSync, statSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isAtLeast, MIN_NODE } from "../bin/node-version.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const nodeModules = join(root, "node_modules");
const installedLock = join(nodeModules, ".package-lock.json");
const lock = join(root, "package-lock.json");
const manifest = join(root, "package.json");

function fail(message) {
  console.error(`ensure-deps: ${message}`);
  process.exit(1);
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function npm(args, why) {
  console.error(`ensure-deps: ${why}: running npm ${args.join(" ")} (one-time; about a minute)...`);
  const started = Date.now();
  const npmCmd = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npmCmd, args, { cwd: root, stdio: "inherit" });
  if (r.error) fail(`could not run npm (${r.error.message}). Is npm on PATH?`);
  if (r.status !== 0) fail(`npm ${args.join(" ")} failed with exit code ${r.status}; see its output above.`);
  // npm may leave .package-lock.json untouched when nothing changed; mark the install as current so a
  // lock file with a fresh mtime but the same content does not trigger an install on every run.
  if (existsSync(installedLock)) {
    const now = new Date();
    utimesSync(installedLock, now, now);
  }
  console.error(`ensure-deps: npm ${args[0]} finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

if (!existsSync(nodeModules) || !existsSync(installedLock)) {
  // Not `npm ci`: the npm 11 here writes lock files without the other
  // platforms' optional packages (biome's, esbuild's), and `npm ci` then
  // refuses the lock as out of sync. `npm install` honours the same lock.
  npm(["install"], "node_modules is missing");
} else {
  const installedAt = mtime(installedLock);
  if (mtime(lock) > installedAt || mtime(manifest) > installedAt) {
    npm(["install"], "package.json or package-lock.json changed since the last install");
  }
}

const localNode = join(nodeModules, ".bin", process.platform === "win32" ? "node.cmd" : "node");
if (!existsSync(localNode)) {
  fail(
    `${localNode} is missing. The project runs on the Node it installs as a devDependency ("node" in ` +
      "package.json). Remove node_modules and run `npm ci`, and check that npm ran the package's install script.",
  );
}
const v = spawnSync(localNode, ["--version"], { encoding: "utf8" });
const version = (v.stdout ?? "").trim();
if (v.status !== 0 || !/^v\d+\./.test(version)) {
  fail(`could not run ${localNode} --version: ${v.stderr || v.error?.message || "no output"}`);
}
if (!isAtLeast(version, MIN_NODE)) {
  fail(
    `${localNode} is ${version}, but this project needs Node >= ${MIN_NODE}. ` +
      "Remove node_modules and run `npm ci` so the pinned Node is installed.",
  );
}
