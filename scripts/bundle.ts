// The production build: one esbuild bundle of the `setpoint` program (cli/program.ts) with every
// runtime package inside it, so the published package and the container image run on plain `node`
// with no node_modules, no TypeScript loader and no devDependencies.
//
// Why a bundle and not tsc's output, and why minified: measured by `npm run bench -- build` (figures
// in bench/README.md; RSS after start / with 100 SqlInstances, median of 3): tsx 264/369 MB, tsc's
// file-by-file output 159/270 MB, this bundle unminified 122/205 MB, minified 115/194 MB.
// Tree-shaking leaves out the generated Kubernetes API models and AWS SDK code that setpoint never
// reaches, and V8 holds less source. Only whitespace and syntax are minified: names stay, so stack
// traces stay readable, and a linked source map (without the sources) maps them back to the
// TypeScript files under `NODE_OPTIONS=--enable-source-maps`. esbuild is the bundler tsx already
// runs on.
//
// Code splitting keeps the lazily imported parts (the AWS SDK's credential providers, `crds --write`)
// in chunks of their own, loaded only when used. The licences of the bundled packages go to
// dist/THIRD-PARTY-NOTICES.txt, from each package's own LICENSE file.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { MIN_NODE } from "../bin/node-version.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(ROOT, "dist");
/** The program the bundle exports `main` from; bin/setpoint.mjs imports it. */
export const BUNDLE_ENTRY = "setpoint.mjs";
export const NOTICES = "THIRD-PARTY-NOTICES.txt";

// ESM output: esbuild turns a CommonJS package's require("node:fs") into a call of its own shim,
// which throws in an ES module unless a real `require` is in scope.
const REQUIRE_SHIM =
  "import { createRequire as __setpointCreateRequire } from 'node:module';\n" +
  "const require = __setpointCreateRequire(import.meta.url);";

export interface BundleOptions {
  /** Default dist/. */
  outdir?: string;
  /** Whitespace and syntax minification (names are kept). On for the shipped build. */
  minify?: boolean;
}

export function esbuildOptions(outdir: string, minify = true): BuildOptions {
  return {
    absWorkingDir: ROOT,
    entryPoints: [{ in: "cli/program.ts", out: "setpoint" }],
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: `node${MIN_NODE}`,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: REQUIRE_SHIM },
    minifyWhitespace: minify,
    minifySyntax: minify,
    sourcemap: "linked",
    // The map names the files; shipping their text too would triple its size for little.
    sourcesContent: false,
    // Licences are collected whole into NOTICES instead.
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  };
}

export interface BundleResult {
  outdir: string;
  files: { path: string; bytes: number }[];
  packages: PackageInfo[];
  /** Source files in the bundle, relative to the repository. */
  inputs: string[];
  millis: number;
}

export interface PackageInfo {
  name: string;
  version: string;
  license: string;
  dir: string;
}

/** Builds the bundle, replacing what was in its folder. */
export async function bundle(options: BundleOptions = {}): Promise<BundleResult> {
  const t0 = Date.now();
  const outdir = options.outdir ?? DIST;
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build(esbuildOptions(outdir, options.minify));
  const metafile = result.metafile as Metafile;
  assertSelfContained(metafile);
  const packages = await bundledPackages(metafile);
  await writeFile(join(outdir, NOTICES), await renderNotices(packages));
  const files = [];
  for (const path of await listFiles(outdir))
    files.push({ path, bytes: (await stat(join(outdir, path))).size });
  return { outdir, files, packages, inputs: Object.keys(metafile.inputs).sort(), millis: Date.now() - t0 };
}

/**
 * Packages that a bundled package require()s inside a try block and does without: they are not
 * installed, so esbuild leaves the require() for run time, where it fails and is caught.
 */
const OPTIONAL_AT_RUN_TIME: Record<string, string> = {
  "supports-color": "debug colours its output when present",
  bufferutil: "ws masks frames faster when present",
  "utf-8-validate": "ws validates UTF-8 faster when present",
};

/** Every import the bundle leaves for run time must be a Node built-in: nothing else is shipped. */
function assertSelfContained(metafile: Metafile): void {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const external = new Set<string>();
  for (const output of Object.values(metafile.outputs))
    for (const imp of output.imports)
      if (
        imp.external &&
        !builtins.has(imp.path) &&
        !imp.path.startsWith("node:") &&
        !(imp.path in OPTIONAL_AT_RUN_TIME && imp.kind === "require-call")
      )
        external.add(imp.path);
  if (external.size > 0)
    throw new Error(
      `the bundle would import ${[...external].join(", ")} at run time, but ships without node_modules`,
    );
}

/** The packages whose code is in the bundle, from the metafile's inputs. */
async function bundledPackages(metafile: Metafile): Promise<PackageInfo[]> {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf("node_modules/");
    if (at < 0) continue;
    const rest = input.slice(at + "node_modules/".length).split("/");
    const name = rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? "");
    dirs.add(join(ROOT, input.slice(0, at), "node_modules", name));
  }
  const packages: PackageInfo[] = [];
  for (const dir of dirs) {
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as {
      name: string;
      version: string;
      license?: string;
    };
    packages.push({
      name: manifest.name,
      version: manifest.version,
      license: manifest.license ?? "no licence declared",
      dir,
    });
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

async function renderNotices(packages: PackageInfo[]): Promise<string> {
  const parts = [
    "setpoint's compiled build (dist/) contains code from these packages, under these licences.\n",
  ];
  for (const p of packages) {
    const names = (await readdir(p.dir)).filter((f) => /^(licen[cs]e|copying|notice)/i.test(f)).sort();
    const texts = await Promise.all(names.map((f) => readFile(join(p.dir, f), "utf8")));
    const text =
      texts.join("\n").trim() || `The package ships no licence file; its package.json declares ${p.license}.`;
    parts.push(`${"=".repeat(78)}\n${p.name}@${p.version} (${p.license})\n\n${text}\n`);
  }
  return parts.join("\n");
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path, base)));
    else out.push(relative(base, path).split(sep).join("/"));
  }
  return out.sort();
}

/** Whether dist/ holds a bundle (bin/setpoint.mjs imports it). */
export function bundleExists(outdir = DIST): boolean {
  return existsSync(join(outdir, BUNDLE_ENTRY));
}
