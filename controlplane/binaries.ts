// The test control plane's binaries, kube-apiserver and etcd, built from the wrapper modules in
// controlplane/kube-apiserver and controlplane/etcd and cached machine-wide (go-build.ts says how).

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { binCacheDir, ensureGoBinary, type GoBuildSpec, type Log } from "./go-build.ts";

export type { Log };
export { binCacheDir };

export const KUBERNETES_VERSION = "v1.32.13";
export const ETCD_VERSION = "v3.5.24";

export interface Binaries {
  kubeApiserver: string;
  etcd: string;
}

const here = dirname(fileURLToPath(import.meta.url));

// kube-apiserver reads its own version from component-base at run time (the /version endpoint and the
// compatibility/emulation version in 1.31+), so it must be stamped; a plain `go build` reports v0.0.0.
function kubeLdflags(): string {
  const [major, minor] = KUBERNETES_VERSION.replace(/^v/, "").split(".");
  const pkg = "k8s.io/component-base/version";
  return [
    "-s",
    "-w",
    `-X ${pkg}.gitVersion=${KUBERNETES_VERSION}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(" ");
}

export const ETCD: GoBuildSpec = {
  name: "etcd",
  version: ETCD_VERSION,
  moduleDir: join(here, "etcd"),
  pkg: ".",
  // etcd's version is a constant in go.etcd.io/etcd/api/v3/version: nothing to stamp.
  ldflags: "-s -w",
  expectedMinutes: "1-2",
};

export const KUBE_APISERVER: GoBuildSpec = {
  name: "kube-apiserver",
  version: KUBERNETES_VERSION,
  moduleDir: join(here, "kube-apiserver"),
  pkg: "k8s.io/kubernetes/cmd/kube-apiserver",
  ldflags: kubeLdflags(),
  expectedMinutes: "4-8",
};

/**
 * Returns paths to kube-apiserver and etcd, building them on first use. Safe to call from concurrent
 * processes. Throws a clear error when `go` is missing or a build fails (with go's error output).
 */
export async function ensureBinaries(log: Log = (l) => console.error(l)): Promise<Binaries> {
  // Sequential on purpose: go build already uses every core.
  const etcd = await ensureGoBinary(ETCD, log);
  const kubeApiserver = await ensureGoBinary(KUBE_APISERVER, log);
  return { kubeApiserver, etcd };
}

// `npx tsx controlplane/binaries.ts` builds (or finds) the binaries and prints their paths.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const b = await ensureBinaries();
  console.log(`kube-apiserver: ${b.kubeApiserver}\netcd: ${b.etcd}`);
}
