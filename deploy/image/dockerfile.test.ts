// The Dockerfile and `npm run image` build one image from one description (deploy/image/spec.ts).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../../scripts/bundle.ts";
import { renderDockerfile } from "./dockerfile.ts";
import { APP_DIR, IMAGE, NODE_PATH } from "./spec.ts";

describe("the Dockerfile", () => {
  it("is what deploy/image/spec.ts renders (npm run image -- --write-dockerfile rewrites it)", async () => {
    assert.equal(await readFile(join(ROOT, "Dockerfile"), "utf8"), renderDockerfile());
  });

  it("builds its layers with the same code as npm run image, and copies each into a scratch image", () => {
    const text = renderDockerfile();
    assert.match(text, /npm run image -- --layers-only \/layers/);
    assert.match(text, /^FROM scratch$/m);
    for (const layer of IMAGE.layers)
      assert.match(text, new RegExp(`^COPY --from=layers /layers/${layer.name}/ /$`, "m"));
    assert.match(text, new RegExp(`^USER ${IMAGE.user.uid}:${IMAGE.user.gid}$`, "m"));
  });

  it("is kept from the Docker build context's node_modules and build outputs", async () => {
    const ignored = (await readFile(join(ROOT, ".dockerignore"), "utf8")).split("\n");
    for (const dir of ["node_modules/", "dist/", ".setpoint/"])
      assert.ok(ignored.includes(dir), `${dir} is not ignored`);
  });
});

describe("the image description", () => {
  it("starts `setpoint run` with the image's Node, from the npm package's own launcher", async () => {
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
      files: string[];
      devDependencies: Record<string, string>;
    };
    const launcher = manifest.bin.setpoint?.replace(/^\.\//, "") ?? "";
    assert.deepEqual(IMAGE.entrypoint, [NODE_PATH, `${APP_DIR}/${launcher}`, "run"]);
    assert.ok(manifest.files.includes(launcher), `${launcher} is not in package.json files`);
    assert.equal(IMAGE.nodeVersion, manifest.devDependencies.node);
  });

  it("runs as a numeric user other than root", () => {
    assert.ok(Number.isInteger(IMAGE.user.uid) && IMAGE.user.uid > 0);
    assert.ok(Number.isInteger(IMAGE.user.gid) && IMAGE.user.gid > 0);
  });
});
