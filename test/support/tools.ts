// Tools that a test file needs beyond the control plane (helm, kustomize, the Pulumi CLI and its
// kubernetes plugin). A file declares each one with a top-level `needTool("helm")`; scripts/test.ts
// finds those calls in the selected files (literally, by their text), builds only those tools before
// the tests start, and passes each tool's path, or the reason it could not be built, through
//
//   SETPOINT_TEST_TOOL_<NAME>          the binary's path, e.g. SETPOINT_TEST_TOOL_HELM
//   SETPOINT_TEST_TOOL_<NAME>_MISSING  why it is not there (the build's error)
//
// A test whose tool is missing is skipped with that reason, loudly: the reason goes into the test
// report and to stderr. It never passes.

import type { ToolName } from "../../controlplane/tools.ts";

export function toolEnvName(name: ToolName): string {
  return `SETPOINT_TEST_TOOL_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

export function missingEnvName(name: ToolName): string {
  return `${toolEnvName(name)}_MISSING`;
}

export interface NeededTool {
  name: ToolName;
  /** The binary's path, when it was built. */
  readonly path: string | undefined;
  /** Why it is not there, when it was not built; undefined when it was. */
  readonly missing: string | undefined;
}

/** Declares that this file needs a tool (scripts/test.ts reads the call's text; keep the name literal). */
export function needTool(name: ToolName): NeededTool {
  return {
    name,
    get path() {
      return process.env[toolEnvName(name)] || undefined;
    },
    get missing() {
      if (process.env[toolEnvName(name)]) return undefined;
      const why =
        process.env[missingEnvName(name)] ??
        "it was not built: run the tests through npm test, which builds the tools the selected files need";
      return `${name} is not available, so this test cannot run: ${why}`;
    },
  };
}

/**
 * The skip option for a describe() or it() that needs these tools: `{ skip: skipUnless(helm) }`.
 * false when every tool is there; otherwise the reasons, also written to stderr so a skip is never
 * silent.
 */
export function skipUnless(...tools: NeededTool[]): string | false {
  const reasons = tools.map((t) => t.missing).filter((r): r is string => r !== undefined);
  if (reasons.length === 0) return false;
  const text = reasons.join("; ");
  console.error(`SKIPPED (missing tool): ${text}`);
  return text;
}

/** The path of a tool the caller has checked with skipUnless. */
export function pathOf(tool: NeededTool): string {
  const p = tool.path;
  if (!p) throw new Error(tool.missing);
  return p;
}

/** The `needTool("...")` calls in a test file's source, for scripts/test.ts. */
export function neededToolNames(source: string): string[] {
  return [...source.matchAll(/\bneedTool\(\s*"([a-z0-9-]+)"\s*\)/g)].map((m) => m[1] as string);
}
