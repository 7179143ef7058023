import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TerminalError } from "../../controller/provider.ts";
import { PulumiCodes } from "./errors.ts";
import { localStateFolder } from "./target.ts";

const ROOT = "/var/lib/setpoint/pulumi-state";

describe("the folder of a stack's local state", () => {
  const kept: [string, string | undefined, string][] = [
    ["is the namespace's own folder when no path is given", undefined, join(ROOT, "team-a")],
    [
      "is a folder under the namespace's when a path is given",
      "dev/orders",
      join(ROOT, "team-a", "dev", "orders"),
    ],
    ["allows dots inside a name", "v1.2", join(ROOT, "team-a", "v1.2")],
  ];
  for (const [what, path, want] of kept) {
    it(what, () => assert.equal(localStateFolder(ROOT, "team-a", path), want));
  }

  const refused: [string, string][] = [
    ["refuses a path that climbs out with ..", "../team-b"],
    ["refuses .. in the middle of a path", "dev/../../team-b"],
    ["refuses a lone ..", ".."],
    ["refuses a . segment", "./dev"],
    ["refuses an absolute path", "/etc"],
    ["refuses an empty path", ""],
    ["refuses an empty segment", "dev//orders"],
    ["refuses a backslash, which another platform would read as a separator", "dev\\..\\..\\x"],
  ];
  for (const [what, path] of refused) {
    it(what, () =>
      assert.throws(
        () => localStateFolder(ROOT, "team-a", path),
        (err: unknown) => err instanceof TerminalError && err.code === PulumiCodes.LocalStatePathRefused,
      ),
    );
  }
});
