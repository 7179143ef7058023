// Runs an unpacked OCI image (an OCI runtime bundle from `umoci unpack`) the way the Helm chart's pod
// would run it, without a kubelet: runc on the image's own config, changed to what the pod sets —
// a read-only root filesystem, /tmp as an empty writable mount (the chart's emptyDir), every
// capability dropped, no privilege escalation, host networking (the test servers listen on
// loopback) — plus /etc/hosts and /etc/resolv.conf from the host, as the kubelet provides them.
//
// When the kernel refuses runc (no namespaces or cgroups for it), runContainer says exactly what
// failed and runs the same root filesystem with `unshare` + `chroot` instead: a read-only bind mount
// of the rootfs in a new mount namespace, as the numeric user, so a missing file or library still
// fails. SETPOINT_IMAGE_RUNTIME=chroot forces that path.
import { execFile } from "node:child_process";
import { chmod, chown, copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { type ManagedProcess, registerCleanup, spawnManaged } from "../../controlplane/process.ts";

const exec = promisify(execFile);

export interface Bind {
  /** A host file. */
  source: string;
  /** Where the container sees it, read-only. */
  destination: string;
}

export interface ContainerSpec {
  /** The bundle folder: config.json and rootfs/ from `umoci unpack`. */
  bundle: string;
  /** Unique per container (runc's container id). */
  id: string;
  /** Replaces the image's entrypoint and arguments when given. */
  args?: string[];
  env?: Record<string, string>;
  binds?: Bind[];
  logPath: string;
}

interface RuntimeConfig {
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<string, string[]>;
    noNewPrivileges?: boolean;
  };
  root: { path: string; readonly?: boolean };
  mounts: { destination: string; type?: string; source?: string; options?: string[] }[];
  linux: { namespaces: { type: string }[] };
}

export interface Container {
  process: ManagedProcess;
  /** "runc", or "unshare+chroot" when runc was refused (then `refused` says why). */
  runtime: string;
  refused?: string;
  /** The image's user, from its config. */
  user: { uid: number; gid: number };
  stop(): Promise<void>;
}

/** `umoci unpack` of an image into a new bundle folder. */
export async function unpackImage(ref: string, bundle: string): Promise<void> {
  await exec("umoci", ["unpack", "--image", ref, bundle], { maxBuffer: 1 << 24 });
}

/** The runtime config that `umoci unpack` wrote: the image's user, entrypoint, env and working dir. */
export async function imageConfig(bundle: string): Promise<RuntimeConfig> {
  return JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as RuntimeConfig;
}

function podLike(base: RuntimeConfig, spec: ContainerSpec): RuntimeConfig {
  const none: string[] = [];
  return {
    ...base,
    process: {
      ...base.process,
      terminal: false,
      args: spec.args ?? base.process.args,
      env: [...base.process.env, ...Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`)],
      // capabilities: drop: [ALL]; allowPrivilegeEscalation: false.
      capabilities: { bounding: none, effective: none, inheritable: none, permitted: none, ambient: none },
      noNewPrivileges: true,
    },
    root: { ...base.root, readonly: true },
    mounts: [
      ...base.mounts,
      ...[
        ...["/etc/hosts", "/etc/resolv.conf"].map((f) => ({ source: f, destination: f })),
        ...(spec.binds ?? []),
      ].map((b) => ({ ...b, type: "bind", options: ["rbind", "ro"] })),
      {
        destination: "/tmp",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "nodev", "mode=1777", "size=64m"],
      },
    ],
    linux: { ...base.linux, namespaces: base.linux.namespaces.filter((n) => n.type !== "network") },
  };
}

/**
 * Makes `file` readable by the container's user only, in a folder of its own, as a projected
 * ServiceAccount token or a mounted Secret would be.
 */
export async function fileForUser(
  file: string,
  dir: string,
  user: { uid: number; gid: number },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const copy = join(dir, "file");
  await copyFile(file, copy);
  await chown(copy, user.uid, user.gid);
  await chmod(copy, 0o400);
  return copy;
}

export async function runContainer(spec: ContainerSpec): Promise<Container> {
  const base = await imageConfig(spec.bundle);
  const config = podLike(base, spec);
  const user = { uid: base.process.user.uid, gid: base.process.user.gid };
  if (process.env.SETPOINT_IMAGE_RUNTIME !== "chroot") {
    await writeFile(join(spec.bundle, "config.json"), JSON.stringify(config, null, 2));
    const proc = spawnManaged({
      name: `runc ${spec.id}`,
      command: "runc",
      args: ["run", "--bundle", spec.bundle, spec.id],
      logPath: spec.logPath,
    });
    const remove = async () => {
      await proc.stop();
      await exec("runc", ["delete", "--force", spec.id]).catch(() => undefined);
    };
    const unregister = registerCleanup(remove);
    // runc fails within moments when the kernel refuses it, with its own error line (logrus format).
    const early = await Promise.race([proc.exited.then(() => true), sleep(1500).then(() => false)]);
    const log = early ? await proc.tail(20) : "";
    if (!early || !RUNC_ERROR.test(log))
      return {
        process: proc,
        runtime: "runc",
        user,
        stop: async () => {
          await remove();
          unregister();
        },
      };
    unregister();
    await exec("runc", ["delete", "--force", spec.id]).catch(() => undefined);
    console.error(
      `[container] runc refused to run the image here; falling back to unshare+chroot. runc said:\n${log}`,
    );
    return { ...(await chrootContainer(spec, config, user)), refused: log.trim() };
  }
  return chrootContainer(spec, config, user);
}

const RUNC_ERROR = /level=error|ERRO\[|runc run failed/;

/** The same root filesystem, read-only, in a new mount namespace, as the image's user. */
async function chrootContainer(
  spec: ContainerSpec,
  config: RuntimeConfig,
  user: { uid: number; gid: number },
): Promise<Container> {
  const rootfs = join(spec.bundle, config.root.path);
  const binds = config.mounts.filter((m) => m.type === "bind");
  for (const b of binds) {
    await mkdir(join(rootfs, b.destination, ".."), { recursive: true });
    await writeFile(join(rootfs, b.destination), "", { flag: "a" });
  }
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // The host's shell sets up the mounts; the image has none, so chroot execs the entrypoint directly
  // (and in "/", as chroot cannot change the working dir; setpoint reads nothing relative to it).
  const script = [
    "set -e",
    `mount --bind ${q(rootfs)} ${q(rootfs)}`,
    ...binds.map((b) => `mount --bind ${q(b.source ?? "")} ${q(join(rootfs, b.destination))}`),
    `mount -o remount,bind,ro ${q(rootfs)}`,
    `mount -t tmpfs -o nosuid,nodev,mode=1777,size=64m tmpfs ${q(join(rootfs, "tmp"))}`,
    `mount -t proc proc ${q(join(rootfs, "proc"))}`,
    // env -i empties PATH, so chroot is found first.
    'chroot="$(command -v chroot)"',
    `exec env -i ${config.process.env.map(q).join(" ")} "$chroot" --userspec=${user.uid}:${user.gid} ${q(rootfs)} ${config.process.args.map(q).join(" ")}`,
  ].join("\n");
  await mkdir(join(rootfs, "proc"), { recursive: true });
  const proc = spawnManaged({
    name: `unshare+chroot ${spec.id}`,
    command: "unshare",
    // No PID namespace: unshare would have to fork, and would not pass SIGTERM on. Without one, the
    // shell execs its way to node, which is then this very process and gets the signals itself.
    args: ["--mount", "sh", "-c", script],
    logPath: spec.logPath,
  });
  const unregister = registerCleanup(() => proc.stop());
  return {
    process: proc,
    runtime: "unshare+chroot",
    user,
    stop: async () => {
      await proc.stop();
      unregister();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
