// Stale stack locks. Pulumi's self-managed backends lock a stack with one file per running update,
// .pulumi/locks/organization/<project>/<stack>/<uuid>.json holding {pid, username, hostname,
// timestamp}; the CLI removes it when it ends. A CLI killed with SIGKILL (a container OOM-killed or
// evicted mid-update) leaves it behind, and every later operation fails with "the stack is currently
// locked". The lock is not a queue either: a second operation fails at once instead of waiting.
//
// When is a lock stale, so that removing it cannot let two operations run at once? setpoint runs
// Pulumi operations only in its workers, and workers run only while this replica holds the leader
// Lease (a replica that loses it exits at once, and with it every CLI it started, being in its
// container). Each operation is also killed after --pulumi-operation-timeout. So a lock is stale when
//   - it was written from this host before this process started: by an earlier run of this
//     controller in this pod, which is dead now that this one runs (one controller per pod); or
//   - it is older than the operation timeout plus the Lease duration plus a margin for clock skew:
//     no setpoint operation lives that long, and the leader that started it has exited.
// A lock of an operation this process is running now is never stale. Anything else (a person
// running `pulumi up` by hand, a fresh lock of another replica during a handover) is waited for.
// Only the stale lock files are removed, by key, not with `pulumi cancel`, which removes every lock
// of the stack, a fresh one taken in the meantime included.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";

export interface StackLock {
  /** The lock file's key in the backend, relative to the backend's root. */
  key: string;
  pid?: number;
  username?: string;
  hostname?: string;
  /** When the CLI took the lock, in ms since the epoch; NaN when unreadable. */
  takenAt: number;
}

export interface StaleLockRules {
  now: number;
  hostname: string;
  /** When this process started (ms since the epoch). */
  processStartedAt: number;
  operationTimeoutMs: number;
  leaseDurationMs: number;
  /** Allowance for the lock writer's clock running behind or ahead of ours. */
  clockSkewMs: number;
  /** This process is running an operation on the stack right now. */
  running: boolean;
}

export type LockVerdict = { stale: true; why: string } | { stale: false; why: string };

export function judgeLock(lock: StackLock, r: StaleLockRules): LockVerdict {
  const who = `${lock.username ?? "?"}@${lock.hostname ?? "?"} (pid ${lock.pid ?? "?"})`;
  const since = Number.isFinite(lock.takenAt) ? new Date(lock.takenAt).toISOString() : "an unknown time";
  if (r.running) return { stale: false, why: `${who} since ${since}: an operation of this controller` };
  // Both times come from this host's clock (the CLI that wrote the lock ran here), so no skew
  // allowance: a lock taken even a second before this process started is an earlier process's.
  if (lock.hostname === r.hostname && lock.takenAt < r.processStartedAt) {
    return {
      stale: true,
      why: `${who} since ${since}: taken by an earlier run of this controller on this host`,
    };
  }
  const maxAge = r.operationTimeoutMs + r.leaseDurationMs + r.clockSkewMs;
  if (Number.isFinite(lock.takenAt) && r.now - lock.takenAt > maxAge) {
    return {
      stale: true,
      why: `${who} since ${since}: older than any operation can run (${Math.round(maxAge / 60_000)}m)`,
    };
  }
  return { stale: false, why: `${who} since ${since}` };
}

export function parseLock(key: string, text: string): StackLock {
  try {
    const j = JSON.parse(text) as { pid?: number; username?: string; hostname?: string; timestamp?: string };
    return {
      key,
      ...(typeof j.pid === "number" ? { pid: j.pid } : {}),
      ...(j.username ? { username: j.username } : {}),
      ...(j.hostname ? { hostname: j.hostname } : {}),
      takenAt: j.timestamp ? Date.parse(j.timestamp) : Number.NaN,
    };
  } catch {
    return { key, takenAt: Number.NaN };
  }
}

/** The folder of a stack's locks, relative to the backend's root. */
export function lockDir(project: string, stack: string): string {
  return `.pulumi/locks/organization/${project}/${stack}`;
}

/** Where a backend keeps its files: listing and removing the lock files of one stack. */
export interface LockStore {
  list(project: string, stack: string): Promise<StackLock[]>;
  remove(lock: StackLock): Promise<void>;
}

/** A file:// backend rooted at `root`. */
export function localLockStore(root: string): LockStore {
  return {
    async list(project, stack) {
      const dir = lockDir(project, stack);
      const names = await readdir(join(root, dir)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return [] as string[];
        throw err;
      });
      return Promise.all(
        names
          .filter((n) => n.endsWith(".json"))
          .map(async (n) => parseLock(`${dir}/${n}`, await readFile(join(root, dir, n), "utf8"))),
      );
    },
    async remove(lock) {
      await rm(join(root, lock.key), { force: true });
    },
  };
}
