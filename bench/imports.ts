// `npm run bench -- imports`: what importing costs, each import in a fresh node (with the benchmark's
// V8 flags): bare node, each runtime dependency alone, the TypeScript loader, setpoint's program from
// the sources (through tsx) and from the compiled build. RSS after two full collections, the V8 heap
// that is still used then, and the difference to bare node. No apiserver needed; a few seconds.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundle, ROOT } from "../scripts/bundle.ts";
import { describeRuntime, type Runtime } from "./lib/controller.ts";
import { emit, log, machine, table } from "./lib/report.ts";

export interface ImportsOptions {
  runtime: Runtime;
  save: string | undefined;
}

interface Reading {
  what: string;
  rssMB: number;
  heapUsedMB: number;
  overBareMB: number;
}

/** The runtime dependencies, as package.json lists them (the AWS SDK's EC2 client only seeds the emulator). */
const PACKAGES = [
  "@kubernetes/client-node",
  "undici",
  "@aws-sdk/client-rds",
  "@aws-sdk/client-elastic-load-balancing-v2",
  "zod",
  "pino",
  "prom-client",
  "commander",
  "yaml",
];

function measure(
  runtime: Runtime,
  specifiers: string[],
  loader: string[] = [],
): { rss: number; heapUsed: number } {
  const code = [
    ...specifiers.map((s) => `await import(${JSON.stringify(s)});`),
    "gc(); gc(); await new Promise((r) => setTimeout(r, 300)); gc();",
    "const m = process.memoryUsage();",
    "console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }));",
  ].join("\n");
  const r = spawnSync(
    process.execPath,
    [...runtime.nodeFlags, "--expose-gc", ...loader, "--input-type=module", "-e", code],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...runtime.env } },
  );
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (r.status !== 0 || !line)
    throw new Error(`importing ${specifiers.join(", ")} failed: ${r.stderr.slice(-500)}`);
  return JSON.parse(line) as { rss: number; heapUsed: number };
}

export async function runImports(o: ImportsOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "setpoint-bench-imports-"));
  const readings: Reading[] = [];
  try {
    await bundle({ outdir: join(dir, "dist"), minify: true });
    const mbOf = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
    const bare = measure(o.runtime, []);
    const add = (what: string, m: { rss: number; heapUsed: number }) => {
      readings.push({
        what,
        rssMB: mbOf(m.rss),
        heapUsedMB: mbOf(m.heapUsed),
        overBareMB: mbOf(m.rss - bare.rss),
      });
      log(`${what}: ${mbOf(m.rss)} MB`);
    };
    add("bare node", bare);
    for (const p of PACKAGES) add(p, measure(o.runtime, [p]));
    add("every runtime dependency but client-node", measure(o.runtime, PACKAGES.slice(1)));
    add("every runtime dependency", measure(o.runtime, PACKAGES));
    add("the tsx loader alone", measure(o.runtime, [], ["--import", "tsx"]));
    add(
      "setpoint's program, sources through tsx",
      measure(o.runtime, [pathToFileURL(join(ROOT, "cli/program.ts")).href], ["--import", "tsx"]),
    );
    add(
      "setpoint's program, compiled build",
      measure(o.runtime, [pathToFileURL(join(dir, "dist", "setpoint.mjs")).href]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    table(
      `imports: RSS after import and two full GCs (runtime: ${describeRuntime(o.runtime)})`,
      readings.map((r) => [
        r.what,
        `${r.rssMB} MB`,
        `+${r.overBareMB} MB over bare node; heap used ${r.heapUsedMB} MB`,
      ]),
    ),
  );
  await emit(
    "imports",
    { date: new Date().toISOString(), machine: machine(), runtime: describeRuntime(o.runtime), readings },
    o.save,
  );
}
