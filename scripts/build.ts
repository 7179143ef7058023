// `npm run build`: the production build in dist/ (see scripts/bundle.ts). A thin shim: it checks the
// Node version before it imports esbuild (see bin/node-version.mjs).
//
//   npm run build                   the bundle in dist/
//   npm run build -- --no-minify    the same, not minified (npm run bench -- build compares both)
import { CHECKOUT_HINT, requireNode } from "../bin/node-version.mjs";

requireNode("npm run build", CHECKOUT_HINT);
const { bundle, BUNDLE_ENTRY } = await import("./bundle.ts");
const { relative } = await import("node:path");

const result = await bundle({ minify: !process.argv.includes("--no-minify") });
const total = result.files.reduce((a, f) => a + f.bytes, 0);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const entry = result.files.find((f) => f.path === BUNDLE_ENTRY);
console.error(
  `build: ${relative(process.cwd(), result.outdir) || "."}/ in ${(result.millis / 1000).toFixed(1)}s: ` +
    `${result.files.length} files, ${mb(total)} (entry ${entry?.path} ${mb(entry?.bytes ?? 0)}), ` +
    `${result.packages.length} bundled packages`,
);
