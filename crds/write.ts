// Writes crds/*.yaml for every kind setpoint serves.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { AWS } from "../providers/index.ts";
import { crdFileName, renderCrd } from "./generate.ts";

export const CRD_DIR = fileURLToPath(new URL(".", import.meta.url));

export async function writeCrds(): Promise<string[]> {
  const written: string[] = [];
  for (const def of AWS.crds) {
    const path = `${CRD_DIR}${crdFileName(def)}`;
    await writeFile(path, renderCrd(def));
    written.push(path);
  }
  return written;
}
