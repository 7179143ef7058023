// Renders the Dockerfile from the image description, for users who build with Docker. Its build stage
// runs the very layer assembly that `npm run image` runs (deploy/image/layers.ts), so the two builds
// hold the same files; the final stage is the configuration in deploy/image/spec.ts.
// deploy/image/dockerfile.test.ts fails when the checked-in Dockerfile differs from this.
import { IMAGE, type ImageSpec } from "./spec.ts";

export const LAYERS_DIR = "/layers";

export function renderDockerfile(spec: ImageSpec = IMAGE): string {
  const json = (v: unknown) => JSON.stringify(v);
  const lines = [
    "# syntax=docker/dockerfile:1",
    "# setpoint's container image, for users who build with Docker. Generated from deploy/image/spec.ts",
    "# by `npm run image -- --write-dockerfile`: do not edit; deploy/image/dockerfile.test.ts fails when",
    "# this file and the description differ. `npm run image` builds the same image without Docker.",
    "",
    `# The build stage: the Node of package.json's "node" devDependency, on the Debian release whose`,
    "# packages provide the image's libraries.",
    `FROM node:${spec.nodeVersion}-${spec.debianRelease}-slim AS layers`,
    "WORKDIR /src",
    "COPY . .",
    `RUN apt-get update && npm install --no-audit --no-fund && npm run image -- --layers-only ${LAYERS_DIR}`,
    "",
    "FROM scratch",
    ...spec.layers.map((l) => `# ${l.name}: ${l.description}\nCOPY --from=layers ${LAYERS_DIR}/${l.name}/ /`),
    ...Object.entries(spec.env).map(([k, v]) => `ENV ${k}=${json(v)}`),
    ...Object.entries(spec.labels).map(([k, v]) => `LABEL ${json(k)}=${json(v)}`),
    `USER ${spec.user.uid}:${spec.user.gid}`,
    `WORKDIR ${spec.workingDir}`,
    `ENTRYPOINT ${json(spec.entrypoint)}`,
    "",
  ];
  return lines.join("\n");
}
