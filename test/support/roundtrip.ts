// The smallest proof that a controller started some other way (a container, an installed package,
// `setpoint env`) really works: a SqlInstance on the seeded emulator network reaches Ready, and its
// deletion goes through the controller's finalizer until the object is gone.
import { SqlInstanceKind } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { Objects } from "./engine.ts";
import { SEED_DB_SUBNET_GROUP, waitFor } from "./env.ts";

/** `setpoint run`'s settings for a test, as environment variables: fast polls, metrics at `metrics`. */
export function fastRunEnv(metrics: string, namespace?: string): Record<string, string> {
  return {
    ...(namespace ? { SETPOINT_NAMESPACE: namespace } : {}),
    SETPOINT_METRICS_ADDRESS: metrics,
    SETPOINT_POLL_INTERVAL: "2s",
    SETPOINT_CONVERGING_POLL_INTERVAL: "1s",
    SETPOINT_MIN_POLL_INTERVAL: "500ms",
  };
}

/** Waits for GET http://<address>/readyz to answer 200: the controller's caches are synced. */
export async function waitUntilReady(address: string, logs: () => Promise<string>): Promise<void> {
  await waitFor(() => fetch(`http://${address}/readyz`).then((r) => r.status), {
    what: `the controller to answer /readyz at ${address} with 200`,
    until: (s) => s === 200,
    timeoutMs: 60_000,
  }).catch(async (err) => {
    throw new Error(`${(err as Error).message}\nController output:\n${await logs()}`);
  });
}

/** Creates a SqlInstance, waits for Ready=True, deletes it and waits until it is gone. */
export async function sqlInstanceRoundTrip(
  namespace: string,
  name: string,
  logs: () => Promise<string>,
  objects = new Objects(SqlInstanceKind, namespace),
): Promise<void> {
  const withLogs = async (err: unknown) => {
    throw new Error(`${(err as Error).message}\nController output:\n${await logs()}`);
  };
  await objects.create(name, {
    forProvider: {
      engine: "postgres",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      masterUsername: "app",
      dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
    },
  });
  await objects.waitForCondition(name, "Ready", "True", { timeoutMs: 60_000 }).catch(withLogs);
  await objects.delete(name);
  await objects.waitUntilGone(name, 60_000).catch(withLogs);
}
