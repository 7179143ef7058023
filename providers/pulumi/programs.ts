// The programs a controller serves: the modules of its programs folder (--pulumi-programs). Each is a
// file (`<name>.ts`, `.mts`, `.js` or `.mjs`) or a folder with an index file, whose default export, or
// export named `program`, is a Pulumi program: an async function that declares resources and may
// return the stack's outputs. A PulumiStack names one by its name.
//
// Programs run inline through the automation API, in this process: no language host and no
// `npm install` at run time. A program that fails to load is kept with its error, so that stacks that
// name it say why, while the others run. Each program's digest (of its files, node_modules excluded)
// goes with every deployment (fingerprint.ts), so a new version of a program is applied as a change.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { PROGRAM_NAME_PATTERN } from "../../apis/pulumi/v1alpha1/pulumistack.ts";

// A program may return nothing (void), as Pulumi programs commonly do.
// biome-ignore lint/suspicious/noConfusingVoidType: the return type of programs written as `async () => { ... }`.
export type ProgramFn = () => Promise<Record<string, unknown> | undefined | void>;

export interface Program {
  name: string;
  /** The module's entry file. */
  file: string;
  /** Where the program's packages resolve from; the dynamic provider process starts here. */
  dir: string;
  /** "<name>@<12 hex digits of the files' sha256>". */
  id: string;
  /** The program, or why it could not be loaded. */
  run?: ProgramFn;
  loadError?: string;
}

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs"];
const IGNORED = /(\.test\.|\.d\.ts$|\.d\.mts$)/;

async function digestOf(path: string): Promise<string> {
  const h = createHash("sha256");
  const visit = async (p: string): Promise<void> => {
    const s = await stat(p);
    if (s.isDirectory()) {
      const entries = (await readdir(p)).filter((e) => e !== "node_modules" && !e.startsWith(".")).sort();
      for (const e of entries) await visit(join(p, e));
    } else {
      h.update(`${relative(path, p)}\0`);
      h.update(await readFile(p));
      h.update("\0");
    }
  };
  await visit(path);
  return h.digest("hex").slice(0, 12);
}

async function entryOf(dir: string, name: string): Promise<{ file: string; root: string } | undefined> {
  const path = join(dir, name);
  const s = await stat(path);
  if (s.isDirectory()) {
    for (const ext of EXTENSIONS) {
      const index = join(path, `index${ext}`);
      if (
        await stat(index)
          .then((x) => x.isFile())
          .catch(() => false)
      )
        return { file: index, root: path };
    }
    return undefined;
  }
  return EXTENSIONS.includes(extname(name)) && !IGNORED.test(name) ? { file: path, root: path } : undefined;
}

/** Every program in `dir`, loaded, by name. */
export async function loadPrograms(dir: string): Promise<Map<string, Program>> {
  const programs = new Map<string, Program>();
  const names = (await readdir(dir)).filter((n) => n !== "node_modules" && !n.startsWith(".")).sort();
  for (const entryName of names) {
    const entry = await entryOf(dir, entryName);
    if (!entry) continue;
    const name = basename(entryName, extname(entryName));
    if (!new RegExp(PROGRAM_NAME_PATTERN).test(name) || programs.has(name)) continue;
    const id = `${name}@${await digestOf(entry.root)}`;
    const program: Program = {
      name,
      file: entry.file,
      dir: entry.root === entry.file ? dir : entry.root,
      id,
    };
    try {
      const mod = (await import(pathToFileURL(entry.file).href)) as { default?: unknown; program?: unknown };
      const fn = typeof mod.default === "function" ? mod.default : mod.program;
      if (typeof fn !== "function") {
        program.loadError = `${entry.file} exports no program: export default async () => { ... }, or export a function named program`;
      } else program.run = fn as ProgramFn;
    } catch (err) {
      program.loadError = `${entry.file} could not be loaded: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
    }
    programs.set(name, program);
  }
  return programs;
}
