# syntax=docker/dockerfile:1
# setpoint's container image, for users who build with Docker. Generated from deploy/image/spec.ts
# by `npm run image -- --write-dockerfile`: do not edit; deploy/image/dockerfile.test.ts fails when
# this file and the description differ. `npm run image` builds the same image without Docker.

# The build stage: the Node of package.json's "node" devDependency, on the Debian release whose
# packages provide the image's libraries.
FROM node:24.21.0-bookworm-slim AS layers
WORKDIR /src
COPY . .
RUN apt-get update && npm install --no-audit --no-fund && npm run image -- --layers-only /layers

FROM scratch
# runtime-libraries: glibc, libgcc and libstdc++ files that the Node binary links against, from Debian packages; /etc/passwd, /etc/group, /tmp
COPY --from=layers /layers/runtime-libraries/ /
# node: the Node binary of the `node` npm package
COPY --from=layers /layers/node/ /
# setpoint: setpoint's npm package: the compiled build, no node_modules
COPY --from=layers /layers/setpoint/ /
ENV PATH="/usr/local/bin:/usr/bin:/bin"
ENV NODE_ENV="production"
ENV HOME="/home/nonroot"
LABEL "org.opencontainers.image.title"="setpoint"
LABEL "org.opencontainers.image.description"="A Kubernetes controller that provisions AWS resources from custom resources, polls them, and corrects and reports drift."
LABEL "org.opencontainers.image.version"="0.1.0"
LABEL "org.opencontainers.image.licenses"="Apache-2.0"
USER 65532:65532
WORKDIR /app
ENTRYPOINT ["/usr/local/bin/node","/app/bin/setpoint.mjs","run"]
