#!/usr/bin/env node
// The `setpoint` command of the compiled build, for the npm package and the container image: plain
// `node`, no TypeScript loader, no node_modules. A thin shim: it checks the Node version before the
// program (dist/setpoint.mjs, from `npm run build`) is imported; see node-version.mjs for why.
// From a checkout, `npm run setpoint -- <args>` runs the sources through tsx instead.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { reexecWithHeapFlags } from "./heap-flags.mjs";
import { requireNode } from "./node-version.mjs";

requireNode(
  "setpoint",
  "Install Node 24 LTS (https://nodejs.org/), or run setpoint's container image, which brings its own Node.",
);
// The controller is long-lived: V8 heap sizes for it, from the container's memory limit. They can only
// be set when the process starts, hence a re-exec (same pid) before the program is loaded.
if (process.argv[2] === "run") reexecWithHeapFlags();
const program = new URL("../dist/setpoint.mjs", import.meta.url);
if (!existsSync(program)) {
  process.stderr.write(
    `setpoint: ${fileURLToPath(program)} is missing. In a checkout, build it with \`npm run build\`, or run the sources with \`npm run setpoint -- <args>\`.\n`,
  );
  process.exit(1);
}
const { main } = await import(program.href);
await main(process.argv);
