import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { cgroupMemoryLimit, heapFlags, missingFlags, oldSpaceMbFor } from "./heap-flags.mjs";

const MB = 1024 * 1024;

describe("the heap flags for a controller", () => {
  const limits: [string, Record<string, string>, number | undefined][] = [
    ["cgroup v2's memory.max", { "/sys/fs/cgroup/memory.max": "268435456\n" }, 256 * MB],
    ["cgroup v2 without a limit", { "/sys/fs/cgroup/memory.max": "max\n" }, undefined],
    ["cgroup v1's limit", { "/sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912" }, 512 * MB],
    [
      "cgroup v1 without a limit",
      { "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712" },
      undefined,
    ],
    ["no cgroup files at all", {}, undefined],
  ];
  for (const [what, files, expected] of limits) {
    it(`reads the memory limit from ${what}`, () => {
      const read = (p: string) => {
        const text = files[p];
        if (text === undefined) throw new Error(`ENOENT ${p}`);
        return text;
      };
      assert.equal(cgroupMemoryLimit(read), expected);
    });
  }

  const ceilings: [number, number][] = [
    [128, 64],
    [256, 160],
    [512, 384],
    [2048, 1536],
  ];
  for (const [limitMb, oldMb] of ceilings) {
    it(`leaves room under a ${limitMb} MB limit: an old space of ${oldMb} MB`, () => {
      assert.equal(oldSpaceMbFor(limitMb * MB), oldMb);
    });
  }

  it("sets a small young generation and size-first heap growth always, and an old-space ceiling only under a limit", () => {
    assert.deepEqual(heapFlags(undefined), [
      "--max-semi-space-size=2",
      "--optimize-for-size",
      "--v8-pool-size=1",
    ]);
    assert.deepEqual(heapFlags(256 * MB).at(-1), "--max-old-space-size=160");
  });

  it("leaves alone what the command line or NODE_OPTIONS already set", () => {
    const wanted = heapFlags(256 * MB);
    assert.deepEqual(missingFlags(wanted, ["--max-semi-space-size=4"], "--max_old_space_size=300"), [
      "--optimize-for-size",
      "--v8-pool-size=1",
    ]);
    assert.deepEqual(missingFlags(wanted, [...wanted]), []);
  });

  it("re-executes the same process with the flags, once", () => {
    const script = fileURLToPath(new URL("./heap-flags.mjs", import.meta.url));
    const probe = `import { reexecWithHeapFlags } from ${JSON.stringify(script)}; reexecWithHeapFlags(); console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX }));`;
    const {
      SETPOINT_HEAP_FLAGS: _off,
      SETPOINT_HEAP_FLAGS_APPLIED: _done,
      MALLOC_ARENA_MAX: _a,
      ...env
    } = process.env;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { execArgv: string[]; arenas?: string };
    assert.ok(out.execArgv.includes("--max-semi-space-size=2"), r.stdout);
    assert.equal(out.arenas, "2");
    assert.ok(out.execArgv.includes("--optimize-for-size"), r.stdout);
    const off = spawnSync(process.execPath, ["--input-type=module", "-e", probe], {
      env: { ...env, SETPOINT_HEAP_FLAGS: "off" },
      encoding: "utf8",
    });
    assert.ok(!(JSON.parse(off.stdout) as { execArgv: string[] }).execArgv.includes("--optimize-for-size"));
  });
});
