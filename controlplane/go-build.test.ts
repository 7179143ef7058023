// The build mechanism on a tiny real module (no dependencies, so no network): the Go toolchain is
// real, the cache is a temp dir.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { binCacheDir, ensureGoBinary, type GoBuildSpec } from "./go-build.ts";

const run = promisify(execFile);

describe("building a Go program into the cache", { timeout: 120_000 }, () => {
  let root: string;
  let savedXdg: string | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "setpoint-go-build-"));
    savedXdg = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(root, "cache");
  });
  after(async () => {
    if (savedXdg === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = savedXdg;
    await rm(root, { recursive: true, force: true });
  });

  async function module(name: string, mainGo: string): Promise<GoBuildSpec> {
    const dir = join(root, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "go.mod"), `module example.test/${name}\n\ngo 1.22\n`);
    await writeFile(join(dir, "main.go"), mainGo);
    return { name, version: "v0.0.1", moduleDir: dir, pkg: ".", ldflags: "-s -w", expectedMinutes: "0" };
  }

  // println (to stderr) needs no package beyond the runtime, so a cold Go cache compiles little.
  const hello = (word: string) => `package main\n\nfunc main() { println("${word}") }\n`;
  const output = async (path: string) => (await run(path, [])).stderr;

  it("builds once, then answers from the cache without building", async () => {
    const spec = await module("hello", hello("hello"));
    const lines: string[] = [];
    const path = await ensureGoBinary(spec, (l) => lines.push(l));
    assert.equal(await output(path), "hello\n");
    assert.ok(
      lines.some((l) => l.startsWith("Building hello v0.0.1")),
      lines.join("\n"),
    );
    const again: string[] = [];
    assert.equal(await ensureGoBinary(spec, (l) => again.push(l)), path);
    assert.deepEqual(again, []);
  });

  it("builds a new binary when the wrapper changes, and never reuses the stale one", async () => {
    const first = await ensureGoBinary(await module("edit", hello("one")), () => {});
    const second = await ensureGoBinary(await module("edit", hello("two")), () => {});
    assert.notEqual(second, first);
    assert.equal(await output(second), "two\n");
  });

  it("builds once when asked twice at the same time", async () => {
    const spec = await module("twice", hello("twice"));
    const lines: string[] = [];
    const [a, b] = await Promise.all([
      ensureGoBinary(spec, (l) => lines.push(l)),
      ensureGoBinary(spec, (l) => lines.push(l)),
    ]);
    assert.equal(a, b);
    assert.equal(lines.filter((l) => l.startsWith("Building twice")).length, 1);
  });

  it("fails with go's own error, and leaves no temp file behind", async () => {
    const spec = await module("broken", "package main\n\nfunc main() { undefinedThing() }\n");
    await assert.rejects(
      ensureGoBinary(spec, () => {}),
      /go build for broken failed[\s\S]*undefinedThing/,
    );
    const left = (await readdir(binCacheDir())).filter((f) => f.startsWith("broken-"));
    assert.deepEqual(left, []);
  });

  it("runs the prepare step in a copy of the module, which the build then uses", async () => {
    const spec: GoBuildSpec = {
      ...(await module("prepared", "package main\n\nfunc main() { println(word) }\n")),
      prepareKey: "word.go=generated",
      prepare: async (stage) =>
        writeFile(join(stage, "word.go"), 'package main\n\nconst word = "generated"\n'),
    };
    const path = await ensureGoBinary(spec, () => {});
    assert.equal(await output(path), "generated\n");
    assert.deepEqual(await readdir(spec.moduleDir), ["go.mod", "main.go"], "the wrapper itself is untouched");
  });
});
