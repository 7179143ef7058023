// The test command (`npm test`, `npm run test:unit`, `npm run test:e2e`).
//
//   npm test                              unit and e2e tests
//   npm test -- --unit | --e2e            one tier only (--unit never starts the environment)
//   npm test -- test/e2e/smoke.test.ts    only files whose path contains an argument
//   npm test -- --test-name-pattern=foo   any --test-* flag is passed on to node's test runner
//
// When any e2e file is selected, it builds/installs the tools if needed (the control plane, moto, and
// the extra tools that the selected files declare with needTool(), see test/support/tools.ts), starts ONE environment
// (kube-apiserver + etcd + seeded moto) for the whole run, passes it to the tests through the
// SETPOINT_TEST_* variables (see test/support/env.ts), runs a single `node --test` child so the closing
// summary is node's own, stops the environment (also on Ctrl-C), and exits with the child's code.

import { readdir, readFile } from "node:fs/promises";
import { constants as osConstants } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { CHECKOUT_HINT, requireNode } from "../bin/node-version.mjs";
import type { Environment } from "../controlplane/env.ts";
import type { ToolName } from "../controlplane/tools.ts";

// Before anything heavy is imported: on an old Node, the test support's imports would crash first.
requireNode("npm test", CHECKOUT_HINT);
const { prepareTools, startEnvironment } = await import("../controlplane/env.ts");
const { registerCleanup, spawnManaged } = await import("../controlplane/process.ts");
const { isToolName, TOOL_NAMES } = await import("../controlplane/tools.ts");
const { ENV_AWS_ENDPOINT, ENV_AWS_REGION, ENV_KUBECONFIG, ENV_MOTO_URL } = await import(
  "../test/support/env.ts"
);
const { missingEnvName, neededToolNames, toolEnvName } = await import("../test/support/tools.ts");
const { bundle } = await import("./bundle.ts");

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const SKIP_DIRS = new Set(["node_modules", ".git", ".venv", "dist", ".setpoint"]);
const E2E_DIR = join("test", "e2e");
// Generous, but a hung e2e test must not hang CI forever.
const DEFAULT_TEST_TIMEOUT_MS = 5 * 60_000;

const say = (line: string) => console.error(`[test] ${line}`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

async function findTests(dir: string, out: string[] = []): Promise<string[]> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) await findTests(join(dir, entry.name), out);
    } else if (entry.isFile() && entry.name.endsWith(".test.ts")) {
      out.push(relative(root, join(dir, entry.name)));
    }
  }
  return out;
}

interface Args {
  unit: boolean;
  e2e: boolean;
  filters: string[];
  nodeFlags: string[];
}

/** The extra tools the given e2e files declare, in build order (the order of TOOL_NAMES). */
async function toolsNeededBy(files: string[]): Promise<ToolName[]> {
  const wanted = new Set<string>();
  for (const f of files)
    for (const n of neededToolNames(await readFile(join(root, f), "utf8"))) wanted.add(n);
  const unknown = [...wanted].filter((n) => !isToolName(n));
  if (unknown.length > 0) throw new Error(`needTool() names unknown tools: ${unknown.join(", ")}`);
  return TOOL_NAMES.filter((n) => wanted.has(n));
}

function parseArgs(argv: string[]): Args {
  const args: Args = { unit: false, e2e: false, filters: [], nodeFlags: [] };
  for (const a of argv) {
    if (a === "--unit") args.unit = true;
    else if (a === "--e2e") args.e2e = true;
    else if (a.startsWith("--test-")) args.nodeFlags.push(a);
    else if (a === "--help" || a === "-h") {
      console.log(
        "usage: npm test -- [--unit|--e2e] [--test-<node flag>=...] [path filter...]\n" +
          "  a path filter selects the test files whose path contains it",
      );
      process.exit(0);
    } else if (a.startsWith("-")) {
      say(`unknown flag ${a} (known: --unit, --e2e, --test-*; anything else is a path filter)`);
      process.exit(2);
    } else
      args.filters.push(
        a
          .split("/")
          .join(sep)
          .replace(/^\.[/\\]/, ""),
      );
  }
  // Neither flag means both tiers.
  if (!args.unit && !args.e2e) {
    args.unit = true;
    args.e2e = true;
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const all = (await findTests(root)).sort();
  const isE2e = (f: string) => f.startsWith(E2E_DIR + sep);
  const matches = (f: string) => args.filters.length === 0 || args.filters.some((p) => f.includes(p));
  const unitFiles = args.unit ? all.filter((f) => !isE2e(f) && matches(f)) : [];
  const e2eFiles = args.e2e ? all.filter((f) => isE2e(f) && matches(f)) : [];
  const files = [...unitFiles, ...e2eFiles];

  if (files.length === 0) {
    if (args.filters.length > 0) {
      say(`no test file matches ${args.filters.join(", ")}`);
      return 1;
    }
    say("no test files found");
    return 0;
  }
  say(`${unitFiles.length} unit and ${e2eFiles.length} e2e test files`);

  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  let env: Environment | undefined;
  try {
    if (e2eFiles.length > 0) {
      // The e2e tests run the shipped command (bin/setpoint.mjs), which runs the compiled build.
      const built = await bundle();
      say(`compiled build in dist/ in ${secs(built.millis)}`);
      const t0 = Date.now();
      const extra = await toolsNeededBy(e2eFiles);
      const tools = await prepareTools(say, extra);
      const extraTimes = tools.tools.map((t) => `${t.name} ${"path" in t ? secs(t.ms) : "NOT BUILT"}`);
      say(
        `tools ready in ${secs(Date.now() - t0)} (kube-apiserver/etcd binaries ${secs(tools.timings.binaries)}, ` +
          `moto venv ${secs(tools.timings.motoVenv)}${extraTimes.length > 0 ? `, ${extraTimes.join(", ")}` : ""})`,
      );
      for (const t of tools.tools) {
        if ("path" in t) childEnv[toolEnvName(t.name)] = t.path;
        else {
          childEnv[missingEnvName(t.name)] = t.reason;
          say(`the tests that need ${t.name} will be SKIPPED: ${t.reason}`);
        }
      }
      env = await startEnvironment(say, tools);
      say(
        `environment up in ${secs(env.timings.start)}: kube-apiserver ${env.kube.server}, ` +
          `moto ${env.moto.endpoint} (logs in ${env.kube.dir} and ${env.moto.logPath})`,
      );
      childEnv[ENV_KUBECONFIG] = env.kube.kubeconfigPath;
      childEnv[ENV_AWS_ENDPOINT] = env.moto.endpoint;
      childEnv[ENV_AWS_REGION] = "us-east-1";
      childEnv[ENV_MOTO_URL] = env.moto.endpoint;
    }

    const nodeFlags = [...args.nodeFlags];
    if (!nodeFlags.some((f) => f.startsWith("--test-timeout"))) {
      nodeFlags.push(`--test-timeout=${DEFAULT_TEST_TIMEOUT_MS}`);
    }
    const child = spawnManaged({
      name: "node --test",
      command: process.execPath,
      args: [
        "--import",
        "tsx",
        "--test",
        "--test-concurrency=1",
        "--test-reporter=spec",
        // Not --test-force-exit: on Node 24.21 it ends a file's process before
        // all of its tests have run, and they vanish from the count silently
        // (the 61 tests of the ELBv2 mapping, then in one file, came out as 28-37).
        // A file that leaks a handle hangs instead, which is loud.
        ...nodeFlags,
        ...files,
      ],
      cwd: root,
      env: childEnv,
    });
    // Ctrl-C reaches the child directly too; this covers a SIGTERM sent to this process alone.
    const unregister = registerCleanup(() => child.stop());
    const exit = await child.exited;
    unregister();
    if (exit.signal) return 128 + (osConstants.signals[exit.signal] ?? 1);
    return exit.code ?? 1;
  } finally {
    // Silent on success: node's own summary must stay the last lines of the run.
    await env?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
