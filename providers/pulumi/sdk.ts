// The Pulumi SDK (@pulumi/pulumi) that the programs folder provides, loaded from there at run time.
//
// Why not bundled into dist/ with the rest of setpoint: the programs import @pulumi/pulumi themselves,
// and the SDK keeps the running program's state (the engine connection, registered resources) in
// process-wide state that every copy must share; its dynamic providers run in a separate Node process
// started from the SDK's own files (cmd/dynamic-provider), which must exist on disk beside the
// packages the providers require. So the SDK must be one real package on disk, resolvable from the
// programs. Taking it from the programs folder makes it exactly the copy the programs use, keeps it
// out of the controller's image and package for installs that run no Pulumi, and lets a platform
// team ship programs and their packages together (README: "Shipping Pulumi programs").
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Automation from "@pulumi/pulumi/automation/index.js";

export interface CommandResultLike {
  stdout: string;
  stderr: string;
  code: number;
}

export interface PulumiSdk {
  /** @pulumi/pulumi's version, e.g. "3.276.0". */
  version: string;
  /** The package's folder. */
  dir: string;
  automation: typeof Automation;
  /** The entry point of Node dynamic providers, run by the pulumi-resource-pulumi-nodejs plugin. */
  dynamicProviderScript: string;
  commandResult(stdout: string, stderr: string, code: number): CommandResultLike;
  /** The automation API's own error for a failed command (StackNotFoundError, ConcurrentUpdateError...). */
  commandError(result: CommandResultLike): Error;
  semver(version: string): unknown;
  /** The SDK's own diagnostics log: an error logged in a program fails its operation. */
  log: { error(message: string): void };
}

export class SdkNotFoundError extends Error {
  override readonly name = "SdkNotFoundError";
}

/** Loads @pulumi/pulumi as a module in `programsDir` would import it. */
export function loadSdk(programsDir: string): PulumiSdk {
  const require = createRequire(join(programsDir, "__setpoint_resolve__.js"));
  let manifest: string;
  try {
    manifest = require.resolve("@pulumi/pulumi/package.json");
  } catch {
    throw new SdkNotFoundError(
      `@pulumi/pulumi cannot be resolved from the programs folder ${programsDir}: install it there (npm install @pulumi/pulumi), pinned to the Pulumi CLI's version`,
    );
  }
  const dir = dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, "utf8")) as { version: string };
  const dynamicProviderScript = join(dir, "cmd", "dynamic-provider", "index.js");
  if (!existsSync(dynamicProviderScript)) {
    throw new SdkNotFoundError(`@pulumi/pulumi ${version} in ${dir} has no cmd/dynamic-provider`);
  }
  const sdkRequire = createRequire(manifest);
  const automation = sdkRequire("./automation/index.js") as typeof Automation;
  const cmd = sdkRequire("./automation/cmd.js") as {
    CommandResult: new (stdout: string, stderr: string, code: number) => CommandResultLike;
  };
  const errors = sdkRequire("./automation/errors.js") as {
    createCommandError(result: CommandResultLike): Error;
  };
  const log = sdkRequire("./log/index.js") as { error(message: string): void };
  const semver = sdkRequire("semver") as { SemVer: new (v: string) => unknown };
  return {
    version,
    dir,
    automation,
    dynamicProviderScript,
    commandResult: (stdout, stderr, code) => new cmd.CommandResult(stdout, stderr, code),
    commandError: (result) => errors.createCommandError(result),
    semver: (v) => new semver.SemVer(v),
    log,
  };
}
