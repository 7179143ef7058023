// Writes crds/*.yaml for every kind setpoint serves.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ALL } from "../providers/index.ts";
import { crdFileName, renderCrd } from "./generate.ts";

export const CRD_DIR = fileURLToPath(new URL(".", import.meta.url));

export async function writeCrds(): Promise<string[]> {
  // In the compiled build this module sits in dist/, far from crds/.
  if (!existsSync(`${CRD_DIR}generate.ts`))
    throw new Error("crds --write regenerates crds/*.yaml in a checkout; print them with `setpoint crds`");
  const written: string[] = [];
  for (const def of ALL.crds) {
    const path = `${CRD_DIR}${crdFileName(def)}`;
    await writeFile(path, renderCrd(def));
    written.push(path);
  }
  return written;
}
