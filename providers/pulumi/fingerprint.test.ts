import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DesiredInputs,
  fingerprint,
  formatInputsTag,
  inputChanges,
  parseInputsTag,
} from "./fingerprint.ts";

const inputs: DesiredInputs = {
  program: "s3-bucket@aaaaaaaaaaaa",
  plainConfig: { bucketName: "orders", versioning: "true" },
  secretConfig: { readerToken: "token-1" },
  providerEnv: { AWS_REGION: "eu-west-1" },
};
const key = "passphrase";

describe("the fingerprint of what a stack was deployed with", () => {
  it("does not depend on the order of config keys", () => {
    const reordered = { ...inputs, plainConfig: { versioning: "true", bucketName: "orders" } };
    assert.deepEqual(fingerprint(key, reordered), fingerprint(key, inputs));
  });

  it("does not give away a secret: the same value under another passphrase hashes differently", () => {
    assert.notEqual(fingerprint("other", inputs).secrets, fingerprint(key, inputs).secrets);
    assert.ok(!formatInputsTag(fingerprint(key, inputs)).includes("token-1"));
  });

  it("fits in one stack tag and reads back", () => {
    const tag = formatInputsTag(fingerprint(key, inputs));
    assert.ok(tag.length <= 256, tag);
    assert.deepEqual(parseInputsTag(tag), fingerprint(key, inputs));
    assert.equal(parseInputsTag("program=x"), undefined);
    assert.equal(parseInputsTag(undefined), undefined);
  });
});

describe("the changes since the last deployment", () => {
  const applied = fingerprint(key, inputs);
  const cases: { name: string; desired: DesiredInputs; want: unknown[] }[] = [
    { name: "are none when nothing changed", desired: inputs, want: [] },
    {
      name: "name the config when a plain value changed, as a change of the spec",
      desired: { ...inputs, plainConfig: { ...inputs.plainConfig, versioning: "false" } },
      want: [{ path: "forProvider.config", cause: undefined }],
    },
    {
      name: "say only that a referenced Secret changed, as a reference",
      desired: { ...inputs, secretConfig: { readerToken: "token-2" } },
      want: [{ path: "forProvider.config", cause: "reference", sensitive: true }],
    },
    {
      name: "count a new version of the same program as a reference, not drift",
      desired: { ...inputs, program: "s3-bucket@bbbbbbbbbbbb" },
      want: [{ path: "forProvider.program", cause: "reference" }],
    },
    {
      name: "count another program as a change of the spec",
      desired: { ...inputs, program: "other@bbbbbbbbbbbb" },
      want: [{ path: "forProvider.program", cause: undefined }],
    },
    {
      name: "count a changed ProviderConfig as a reference",
      desired: { ...inputs, providerEnv: { AWS_REGION: "us-east-1" } },
      want: [{ path: "providerConfigRef", cause: "reference", sensitive: true }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = inputChanges(fingerprint(key, c.desired), applied).map((d) => ({
        path: d.path,
        cause: d.cause,
        ...(d.sensitive ? { sensitive: true } : {}),
      }));
      assert.deepEqual(got, c.want);
    });
  }

  it("are everything for a stack that setpoint never deployed", () => {
    assert.deepEqual(
      inputChanges(applied, undefined).map((d) => d.path),
      ["forProvider.program", "forProvider.config", "forProvider.config", "providerConfigRef"],
    );
  });
});
