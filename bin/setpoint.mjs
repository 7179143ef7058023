#!/usr/bin/env node
// Launches the TypeScript CLI on the Node that runs this file, through tsx.
// Plain JavaScript so that even an old Node gets a clear message.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write(
    `setpoint needs Node 22 or newer (this is ${process.version}). Use \`npm run setpoint -- <args>\`, which runs on the Node 24 in node_modules/.bin.\n`,
  );
  process.exit(1);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const child = spawn(
  process.execPath,
  ["--import", import.meta.resolve("tsx"), join(root, "cli", "main.ts"), ...process.argv.slice(2)],
  { stdio: "inherit" },
);
// The controller shuts down gracefully on SIGTERM; pass signals through.
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
