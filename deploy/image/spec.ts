// The one description of setpoint's container image. Both ways of building it read this:
// `npm run image` (deploy/image/build.ts, no Docker daemon: umoci) and the Dockerfile, which is
// rendered from it (deploy/image/dockerfile.ts) and runs the same layer assembly
// (deploy/image/layers.ts) in its build stage. deploy/image/dockerfile.test.ts fails when the
// checked-in Dockerfile differs from what this renders.
//
// Distroless in spirit: no shell, no package manager, no base image. Three layers, ordered from the
// one that changes least: the C and C++ runtime libraries that the Node binary links against, taken
// file by file from Debian packages; the Node binary of the `node` devDependency; and setpoint's
// npm package (the compiled build, which bundles its runtime packages, so there is no node_modules).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/bundle.ts";

interface PackageJson {
  name: string;
  version: string;
  description: string;
  license: string;
  devDependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as PackageJson;

/** The non-root user the controller runs as; numeric so that `runAsNonRoot` can verify it. */
export const USER = { uid: 65532, gid: 65532, name: "nonroot", home: "/home/nonroot" } as const;

export const APP_DIR = "/app";
export const NODE_PATH = "/usr/local/bin/node";

export type LayerName = "runtime-libraries" | "node" | "setpoint";

export interface ImageSpec {
  /** The repository name; a registry prefix is the publisher's (see the README). */
  repository: string;
  /** package.json's version: the chart's appVersion. */
  tag: string;
  /** The Debian release whose packages provide the libraries (the build stage's, and this host's). */
  debianRelease: string;
  /**
   * Debian packages that may provide the shared libraries the Node binary needs, and their copyright
   * (gcc-12-base holds that of libgcc-s1 and libstdc++6). Only the files Node loads are kept.
   */
  debianPackages: string[];
  /** The `node` devDependency: its binary is the image's Node. */
  nodeVersion: string;
  layers: { name: LayerName; description: string }[];
  user: typeof USER;
  workingDir: string;
  entrypoint: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
}

export const IMAGE: ImageSpec = {
  repository: manifest.name,
  tag: manifest.version,
  debianRelease: "bookworm",
  debianPackages: ["libc6", "libgcc-s1", "libstdc++6", "gcc-12-base"],
  nodeVersion: manifest.devDependencies.node ?? "",
  layers: [
    {
      name: "runtime-libraries",
      description:
        "glibc, libgcc and libstdc++ files that the Node binary links against, from Debian packages; /etc/passwd, /etc/group, /tmp",
    },
    { name: "node", description: "the Node binary of the `node` npm package" },
    { name: "setpoint", description: "setpoint's npm package: the compiled build, no node_modules" },
  ],
  user: USER,
  workingDir: APP_DIR,
  // `setpoint run`; a Deployment's `args` add flags. Other commands: override the command.
  entrypoint: [NODE_PATH, `${APP_DIR}/bin/setpoint.mjs`, "run"],
  env: {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    NODE_ENV: "production",
    HOME: USER.home,
  },
  labels: {
    "org.opencontainers.image.title": manifest.name,
    "org.opencontainers.image.description": manifest.description,
    "org.opencontainers.image.version": manifest.version,
    "org.opencontainers.image.licenses": manifest.license,
  },
};

/** `repository:tag`. */
export function imageReference(spec: ImageSpec = IMAGE): string {
  return `${spec.repository}:${spec.tag}`;
}
