// Builds setpoint's container image without a Docker daemon: the production bundle, the three layer
// folders (deploy/image/layers.ts), then an OCI image layout with umoci (deploy/image/oci.ts).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../scripts/bundle.ts";
import { assembleLayers, type Layers, type Log } from "./layers.ts";
import { buildOci, type OciImage } from "./oci.ts";
import { IMAGE } from "./spec.ts";
import { BUILD_TOOLS, ensureTools } from "./tools.ts";

const run = promisify(execFile);

/** Outside dist/, which the bundle step replaces and the npm package ships. */
export const IMAGE_DIR = join(ROOT, ".setpoint", "image");

export interface BuiltImage {
  oci: OciImage;
  layers: Layers & { uncompressedBytes: Record<string, number> };
  seconds: { layers: number; oci: number; total: number };
}

export async function buildImage(opts: {
  outDir?: string;
  log: Log;
  installTools?: boolean;
}): Promise<BuiltImage> {
  const t0 = Date.now();
  const tools = await ensureTools(BUILD_TOOLS, { install: opts.installTools ?? false, log: opts.log });
  if (!tools.ok) throw new Error(`cannot build the image: ${tools.reason}`);
  const outDir = opts.outDir ?? IMAGE_DIR;
  const layers = await assembleLayers(join(outDir, "layers"), opts.log);
  const t1 = Date.now();
  const oci = await buildOci(layers, join(outDir, "oci"));
  const t2 = Date.now();
  const uncompressedBytes: Record<string, number> = {};
  for (const { name, dir } of layers.dirs) uncompressedBytes[name] = await duBytes(dir);
  return {
    oci,
    layers: { ...layers, uncompressedBytes },
    seconds: { layers: (t1 - t0) / 1000, oci: (t2 - t1) / 1000, total: (t2 - t0) / 1000 },
  };
}

async function duBytes(dir: string): Promise<number> {
  const out = (await run("du", ["-sb", dir])).stdout;
  return Number(out.split("\t")[0]);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What `npm run image` prints: the image, its layers and sizes, and how to use it. */
export function describeBuild(b: BuiltImage): string {
  const rows = b.oci.layers.map(
    (l) =>
      `  ${l.name.padEnd(18)} ${mb(l.compressedBytes).padStart(9)} compressed ${mb(b.layers.uncompressedBytes[l.name] ?? 0).padStart(9)} unpacked  ${l.digest.slice(0, 19)}`,
  );
  const unpacked = Object.values(b.layers.uncompressedBytes).reduce((a, n) => a + n, 0);
  const ref = `${IMAGE.repository}:${IMAGE.tag}`;
  return [
    `image ${ref} (${b.oci.manifestDigest}) in ${b.oci.layout}`,
    `  ${mb(b.oci.compressedBytes)} compressed (as pushed), ${mb(unpacked)} unpacked; built in ${b.seconds.total.toFixed(1)}s`,
    ...rows,
    `  libraries: ${b.layers.libraries.join(" ")}`,
    `  from Debian ${IMAGE.debianRelease}: ${Object.entries(b.layers.packages)
      .map(([p, v]) => `${p} ${v}`)
      .join(", ")}`,
    "",
    "Push it, or load it into Docker or kind, with skopeo (apt-get install skopeo):",
    `  skopeo copy oci:${b.oci.ref} docker://<registry>/${ref}`,
    `  skopeo copy oci:${b.oci.ref} docker-archive:setpoint.tar:${ref}   # docker load -i / kind load image-archive`,
    "",
  ].join("\n");
}
