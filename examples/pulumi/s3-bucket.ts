// An S3 bucket with versioning and tags, managed by a Pulumi dynamic provider written against the AWS
// SDK v3: the example program for PulumiStack on AWS (examples/pulumistack.yaml). It runs anywhere the
// SDK reaches S3: real AWS, or moto in the tests and the demo. A program for real accounts would
// use @pulumi/aws instead; its plugin cannot be built offline, so it is not used here.
//
// Config: bucketName (required), versioning ("true"/"false"), tags (a JSON object), readerToken (a
// secret, exported as a secret output for the connection Secret). setpoint sets setpoint:owner and
// setpoint:uid, which go onto the bucket as its owner tags.
//
// The provider's methods run in Pulumi's dynamic-provider process, from their serialised source: they
// import what they use inside themselves, and read credentials, region and endpoint from the
// environment that setpoint builds from the ProviderConfig.
import * as pulumi from "@pulumi/pulumi";

interface BucketInputs {
  bucketName: string;
  versioning: boolean;
  tags: Record<string, string>;
}

interface BucketOutputs extends BucketInputs {
  arn: string;
}

const OWNER_UID_TAG = "setpoint.dev/uid";

const provider: pulumi.dynamic.ResourceProvider<BucketInputs, BucketOutputs> = {
  async create(inputs) {
    const s3 = await import("@aws-sdk/client-s3");
    const client = new s3.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
    const Bucket = inputs.bucketName;
    // A create whose answer was lost (the CLI killed mid-update) must find its own bucket, and must
    // not take over anyone else's.
    const exists = await client.send(new s3.HeadBucketCommand({ Bucket })).then(
      () => true,
      (err: { $metadata?: { httpStatusCode?: number } }) => {
        if (err.$metadata?.httpStatusCode === 404) return false;
        throw err;
      },
    );
    if (exists) {
      const tagging = await client
        .send(new s3.GetBucketTaggingCommand({ Bucket }))
        .catch(() => ({ TagSet: [] }));
      const uid = tagging.TagSet?.find((t) => t.Key === OWNER_UID_TAG)?.Value;
      if (uid !== inputs.tags[OWNER_UID_TAG]) {
        throw new Error(
          `bucket ${Bucket} exists and is not this stack's (its ${OWNER_UID_TAG} tag is ${uid ?? "absent"})`,
        );
      }
    } else await client.send(new s3.CreateBucketCommand({ Bucket }));
    await client.send(
      new s3.PutBucketVersioningCommand({
        Bucket,
        VersioningConfiguration: { Status: inputs.versioning ? "Enabled" : "Suspended" },
      }),
    );
    await client.send(
      new s3.PutBucketTaggingCommand({
        Bucket,
        Tagging: { TagSet: Object.entries(inputs.tags).map(([Key, Value]) => ({ Key, Value })) },
      }),
    );
    return { id: Bucket, outs: { ...inputs, arn: `arn:aws:s3:::${Bucket}` } };
  },

  async read(id, props) {
    const s3 = await import("@aws-sdk/client-s3");
    const client = new s3.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
    try {
      await client.send(new s3.HeadBucketCommand({ Bucket: id }));
    } catch (err) {
      // Gone: an empty id tells Pulumi that the resource no longer exists.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        return { id: "", props: {} as BucketOutputs };
      }
      throw err;
    }
    const versioning = await client.send(new s3.GetBucketVersioningCommand({ Bucket: id }));
    const tagging = await client
      .send(new s3.GetBucketTaggingCommand({ Bucket: id }))
      .catch((err: { name?: string }) => {
        if (err.name === "NoSuchTagSet") return { TagSet: [] };
        throw err;
      });
    const tags = Object.fromEntries((tagging.TagSet ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
    return {
      id,
      props: {
        ...(props as BucketOutputs),
        bucketName: id,
        versioning: versioning.Status === "Enabled",
        tags,
      },
    };
  },

  async diff(_id, olds, news) {
    const replaces = olds.bucketName !== news.bucketName ? ["bucketName"] : [];
    const sameTags =
      JSON.stringify(Object.entries(olds.tags ?? {}).sort()) ===
      JSON.stringify(Object.entries(news.tags).sort());
    return {
      changes: replaces.length > 0 || olds.versioning !== news.versioning || !sameTags,
      replaces,
      deleteBeforeReplace: true,
    };
  },

  async update(id, _olds, news) {
    const s3 = await import("@aws-sdk/client-s3");
    const client = new s3.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
    await client.send(
      new s3.PutBucketVersioningCommand({
        Bucket: id,
        VersioningConfiguration: { Status: news.versioning ? "Enabled" : "Suspended" },
      }),
    );
    await client.send(
      new s3.PutBucketTaggingCommand({
        Bucket: id,
        Tagging: { TagSet: Object.entries(news.tags).map(([Key, Value]) => ({ Key, Value })) },
      }),
    );
    return { outs: { ...news, arn: `arn:aws:s3:::${id}` } };
  },

  async delete(id) {
    const s3 = await import("@aws-sdk/client-s3");
    const client = new s3.S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) });
    await client.send(new s3.DeleteBucketCommand({ Bucket: id })).catch((err: { name?: string }) => {
      if (err.name !== "NoSuchBucket") throw err;
    });
  },
};

export class Bucket extends pulumi.dynamic.Resource {
  declare readonly arn: pulumi.Output<string>;
  declare readonly bucketName: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      bucketName: pulumi.Input<string>;
      versioning: pulumi.Input<boolean>;
      tags: pulumi.Input<Record<string, string>>;
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(provider, name, { ...args, arn: undefined }, opts);
  }
}

export default async () => {
  const config = new pulumi.Config();
  const setpoint = new pulumi.Config("setpoint");
  const bucket = new Bucket("orders-bucket", {
    bucketName: config.require("bucketName"),
    versioning: config.getBoolean("versioning") ?? false,
    tags: {
      ...(config.getObject<Record<string, string>>("tags") ?? {}),
      "setpoint.dev/owner": setpoint.require("owner"),
      [OWNER_UID_TAG]: setpoint.require("uid"),
    },
  });
  const readerToken = config.getSecret("readerToken");
  return {
    bucketName: bucket.bucketName,
    arn: bucket.arn,
    ...(readerToken ? { readerToken } : {}),
  };
};
