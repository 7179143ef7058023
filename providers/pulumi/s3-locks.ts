// The lock files of a stack whose state lives in S3 (locks.ts says when one may be removed), read and
// removed with the same connection, budget and retries as every other AWS call of setpoint's.
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { type AwsConnection, sharedClient } from "../aws/shared/index.ts";
import { type LockStore, lockDir, parseLock } from "./locks.ts";
import { S3_SERVICE } from "./services.ts";

export function s3LockStore(conn: AwsConnection, bucket: string, prefix: string | undefined): LockStore {
  const client = sharedClient(
    conn,
    S3_SERVICE,
    // Path-style addressing, as the backend URL asks for it too: emulators and S3-compatible stores
    // answer on one host, and real S3 still accepts it.
    (config) => new S3Client({ ...config, forcePathStyle: conn.endpoint !== undefined }),
  );
  const root = prefix ? `${prefix}/` : "";
  return {
    async list(project, stack) {
      const dir = `${root}${lockDir(project, stack)}/`;
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: dir }));
      const keys = (listed.Contents ?? []).map((o) => o.Key ?? "").filter((k) => k.endsWith(".json"));
      return Promise.all(
        keys.map(async (key) => {
          const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
          return parseLock(key.slice(root.length), (await got.Body?.transformToString()) ?? "");
        }),
      );
    },
    async remove(lock) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${root}${lock.key}` }));
    },
  };
}
