// A cross-process lock for one-time setup steps (binary builds, venv installs): an O_EXCL lock file
// holding the owner's pid. A lock whose owner is dead is stale and taken over, so a killed run never
// blocks the next one.

import { open, readFile, rm } from "node:fs/promises";

export type Log = (line: string) => void;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function withLock<T>(lockPath: string, log: Log, fn: () => Promise<T>): Promise<T> {
  let announced = false;
  for (;;) {
    try {
      const fh = await open(lockPath, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isFinite(owner) && !isPidAlive(owner)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (!Number.isFinite(owner)) {
        // Being written this instant (or emptied by a crash between open and write): look again shortly.
        await sleep(200);
        const again = await readFile(lockPath, "utf8").catch(() => "");
        if (again === "") await rm(lockPath, { force: true });
        continue;
      }
      if (!announced) {
        log(`waiting for another process (pid ${owner}) holding ${lockPath}`);
        announced = true;
      }
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}
