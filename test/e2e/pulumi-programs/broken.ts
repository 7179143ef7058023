// A program with a bug: it throws a TypeError, which setpoint reports as terminal (the program must
// change before a retry can help). For test/e2e/pulumi-s3.test.ts.
export default async () => {
  const settings = JSON.parse("null") as { bucket: { name: string } };
  return { name: settings.bucket.name };
};
