// `npm run image`: setpoint's container image, built without a Docker daemon (deploy/image/image.ts).
// A thin shim: it checks the Node version before anything else is imported (bin/node-version.mjs).
//
//   npm run image                         the OCI image in .setpoint/image/oci (tag: package.json's version)
//   npm run image -- --install-tools      first install the Debian tools that are missing (root)
//   npm run image -- --layers-only <dir>  only the layer folders (what the Dockerfile's build stage runs)
//   npm run image -- --write-dockerfile   rewrite Dockerfile from deploy/image/spec.ts
import { parseArgs } from "node:util";
import { CHECKOUT_HINT, requireNode } from "../../bin/node-version.mjs";

requireNode("npm run image", CHECKOUT_HINT);
const { values } = parseArgs({
  options: {
    "install-tools": { type: "boolean" },
    "layers-only": { type: "string" },
    "write-dockerfile": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});
const say = (line: string) => console.error(`[image] ${line}`);

async function main(): Promise<void> {
  if (values.help) {
    console.log(
      "usage: npm run image [-- --install-tools | --layers-only <dir> | --write-dockerfile]\n" +
        "  builds setpoint's OCI image with umoci from Debian packages and the node npm package",
    );
    return;
  }
  if (values["write-dockerfile"]) {
    const { writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { renderDockerfile } = await import("./dockerfile.ts");
    const { ROOT } = await import("../../scripts/bundle.ts");
    await writeFile(join(ROOT, "Dockerfile"), renderDockerfile());
    say("wrote Dockerfile");
    return;
  }
  if (values["layers-only"]) {
    const { assembleLayers } = await import("./layers.ts");
    const layers = await assembleLayers(values["layers-only"], say);
    say(`layers in ${layers.dirs.map((d) => d.dir).join(", ")}`);
    return;
  }
  const { buildImage, describeBuild } = await import("./image.ts");
  const built = await buildImage({ log: say, installTools: values["install-tools"] ?? false });
  process.stdout.write(describeBuild(built));
}

main().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
