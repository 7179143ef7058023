// The host tools that build and run the image without a Docker daemon, all from Debian: apt-get and
// dpkg-deb (the libraries' packages), tar and npm (setpoint's package), umoci (the OCI image), and
// runc or crun (only to run it, in test/e2e/image.test.ts). `npm run image` says what is missing and
// how to install it; with --install-tools, and in `npm test` when it runs as root with apt, it
// installs them itself (umoci and runc: about 10 s with warm package lists).
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
export type Log = (line: string) => void;

/** Debian package → the command it provides. */
export const BUILD_TOOLS: Record<string, string> = { umoci: "umoci" };
export const RUN_TOOLS: Record<string, string> = { runc: "runc" };
/** Present on every Debian system, and in the Dockerfile's build stage. */
const BASE_COMMANDS = ["apt-get", "dpkg-deb", "tar", "npm"];

export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export function missingCommands(commands: string[]): string[] {
  return commands.filter((c) => !hasCommand(c));
}

export function installCommand(packages: string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

export interface ToolCheck {
  ok: boolean;
  /** What is missing and how to get it, when not ok. */
  reason?: string;
}

/**
 * Checks for the commands the given Debian packages provide (plus the base commands) and, when
 * `install` is set and this process may (root, apt-get present), installs the missing packages.
 */
export async function ensureTools(
  packages: Record<string, string>,
  opts: { install: boolean; log: Log; needBase?: boolean },
): Promise<ToolCheck> {
  const base = opts.needBase === false ? [] : missingCommands(BASE_COMMANDS);
  if (base.length > 0)
    return {
      ok: false,
      reason: `${base.join(", ")} not found: building the image needs a Debian host (or the Dockerfile)`,
    };
  const missing = Object.entries(packages)
    .filter(([, command]) => !hasCommand(command))
    .map(([pkg]) => pkg);
  if (missing.length === 0) return { ok: true };
  const how = installCommand(missing);
  if (!opts.install)
    return { ok: false, reason: `${missing.join(", ")} not installed; install with: ${how}` };
  if (process.getuid?.() !== 0 || !hasCommand("apt-get"))
    return {
      ok: false,
      reason: `${missing.join(", ")} not installed, and installing needs root and apt: ${how}`,
    };
  const t0 = Date.now();
  opts.log(`installing ${missing.join(", ")} from Debian (${how})`);
  // Another process may hold the dpkg lock (a parallel install): wait for it rather than fail.
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  try {
    await run("apt-get", [...lock, "update", "-q"], { maxBuffer: 1 << 24 });
    await run("apt-get", [...lock, "install", "-y", "-q", "--no-install-recommends", ...missing], {
      maxBuffer: 1 << 24,
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return {
      ok: false,
      reason: `${how} failed: ${(e.stderr || e.message).trim().split("\n").slice(-3).join(" ")}`,
    };
  }
  opts.log(`installed ${missing.join(", ")} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  const still = Object.entries(packages)
    .filter(([, command]) => !hasCommand(command))
    .map(([pkg]) => pkg);
  return still.length === 0
    ? { ok: true }
    : { ok: false, reason: `${still.join(", ")} still missing after ${how}` };
}
