// The flags of `setpoint run`, read from its own --help (commander prints each flag with its default and
// environment variable), so that a flag added to cli/run-options.ts shows up here without a list to
// update. It runs the checkout's sources (cli/main.ts through tsx), so the unit tier needs no build.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const SETPOINT = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));

export interface RunFlag {
  /** "poll-interval" */
  flag: string;
  /** "pollInterval": the key under `run:` in the chart's values.yaml. */
  key: string;
  /** "SETPOINT_POLL_INTERVAL" */
  env: string;
  /** As printed: `"60s"`, `16`, `false`; undefined when the flag has none. */
  default: string | undefined;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Parses commander's help: each option starts on a line of its own, indented by two spaces. */
export function parseRunHelp(help: string): RunFlag[] {
  const options = help.slice(help.indexOf("Options:"));
  const entries: string[] = [];
  for (const line of options.split("\n").slice(1)) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (entries.length > 0 && line.trim() !== "") entries[entries.length - 1] += ` ${line.trim()}`;
  }
  return entries
    .map((e) => {
      const flag = /--([a-z][a-z0-9-]*)/.exec(e)?.[1] ?? "";
      const env = /env: ([A-Z0-9_]+)/.exec(e)?.[1] ?? "";
      const def = /default: ("[^"]*"|[^,)]+)/.exec(e)?.[1];
      return { flag, key: camel(flag), env, default: def };
    })
    .filter((f) => f.flag !== "help");
}

export async function runFlags(): Promise<RunFlag[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", SETPOINT, "run", "--help"],
    {
      env: { ...process.env, COLUMNS: "400" },
    },
  );
  const flags = parseRunHelp(stdout);
  if (flags.length === 0 || flags.some((f) => !f.env)) {
    throw new Error(`could not read the flags and their variables from \`setpoint run --help\`:\n${stdout}`);
  }
  return flags;
}
