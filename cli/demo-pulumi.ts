// The demo's PulumiStack: examples/pulumistack.yaml run from examples/pulumi/s3-bucket.ts, next to the
// native kinds, with the Pulumi CLI that controlplane/tools.ts builds (the first run builds it from
// the Go module proxy, about 8 minutes; later runs reuse the cache). When the CLI cannot be had, the
// demo says why and goes on with the native kinds alone.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from "@aws-sdk/client-s3";
import type { KindRegistration } from "../controller/api/index.ts";
import { tryTool } from "../controlplane/tools.ts";
import { pulumiRegistry } from "../providers/index.ts";
import { PulumiRuntime } from "../providers/pulumi/index.ts";

const PROGRAMS = fileURLToPath(new URL("../examples/pulumi/", import.meta.url));
export const STACK = "orders-bucket";
export const STACK_FILE = "pulumistack.yaml";
const STATE_BUCKET = "setpoint-pulumi-state";
const BUCKET = "demo-orders-bucket";

export interface DemoPulumi {
  kinds: KindRegistration[];
  /** Why there is no PulumiStack in this demo, when there is none. */
  missing?: string;
  /** Suspends the bucket's versioning, as someone in the console would. */
  changeBehindTheBack(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDemoPulumi(
  say: (line: string) => void,
  aws: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
): Promise<DemoPulumi> {
  const tool = await tryTool("pulumi", (line) => say(`    ${line}`));
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  const none = (missing: string): DemoPulumi => ({
    kinds: [],
    missing,
    changeBehindTheBack: async () => {},
    stop: async () => s3.destroy(),
  });
  if (!("path" in tool)) return none(tool.reason);
  const work = await mkdtemp(join(tmpdir(), "setpoint-demo-pulumi-"));
  const shutdown = new AbortController();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: STATE_BUCKET })).catch((err: { name?: string }) => {
      if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
    });
    const runtime = await PulumiRuntime.start({
      programsDir: PROGRAMS,
      cli: tool.path,
      workDir: work,
      shutdown: shutdown.signal,
    });
    say(`    pulumi ${tool.version} (${tool.path}), programs: ${[...runtime.programs.keys()].join(", ")}`);
    return {
      kinds: [
        ...pulumiRegistry({
          runtime: Promise.resolve(runtime),
          pollIntervalMs: 5000,
          convergingPollIntervalMs: 2000,
        }).kinds,
      ],
      changeBehindTheBack: async () => {
        await s3.send(
          new PutBucketVersioningCommand({
            Bucket: BUCKET,
            VersioningConfiguration: { Status: "Suspended" },
          }),
        );
      },
      stop: async () => {
        shutdown.abort();
        s3.destroy();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    return none(`the Pulumi runtime did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}
