// examples/pulumi/s3-bucket.ts, after waiting config delaySeconds: an update that holds its stack's
// lock long enough for a test to kill the controller in the middle of it (test/e2e/pulumi-lock.test.ts).
import * as pulumi from "@pulumi/pulumi";
import bucketProgram from "../../../examples/pulumi/s3-bucket.ts";

export default async () => {
  const delay = new pulumi.Config().getNumber("delaySeconds") ?? 0;
  await new Promise((resolve) => setTimeout(resolve, delay * 1000));
  return bucketProgram();
};
