import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type EngineEventLike,
  errorMessages,
  formatPath,
  parsePropertyPath,
  planChanges,
  refreshDrift,
  SECRET_SIG,
  type StepMetadata,
  stackState,
} from "./events.ts";

// Shapes as Pulumi 3.276 emits them (seen on this machine against moto and the test apiserver).
const BUCKET = "urn:pulumi:orders::team-a::pulumi-nodejs:dynamic:Resource::orders-bucket";
const CONFIG_MAP = "urn:pulumi:settings::team-a::kubernetes:core/v1:ConfigMap::settings";
const STACK = "urn:pulumi:orders::team-a::pulumi:pulumi:Stack::team-a-orders";
const secret = { [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", ciphertext: "[secret]" };

const bucketState = (versioning: boolean, tags: Record<string, string>) => ({
  type: "pulumi-nodejs:dynamic:Resource",
  urn: BUCKET,
  id: "orders",
  inputs: {
    __provider: "exports.handler = ...",
    bucketName: "orders",
    versioning: true,
    tags: { team: "a" },
  },
  outputs: {
    __provider: "exports.handler = ...",
    bucketName: "orders",
    arn: "arn:aws:s3:::orders",
    versioning,
    tags,
  },
});

const outputs = (m: Partial<StepMetadata> & { op: string; urn: string; type: string }): EngineEventLike => ({
  resOutputsEvent: { metadata: m },
});
const pre = (m: Partial<StepMetadata> & { op: string; urn: string; type: string }): EngineEventLike => ({
  resourcePreEvent: { metadata: m },
});

describe("drift from a refresh", () => {
  const cases: { name: string; events: EngineEventLike[]; want: unknown[] }[] = [
    {
      name: "names each changed output of a dynamic provider, under inputs when the program sets it",
      events: [
        outputs({
          op: "update",
          urn: BUCKET,
          type: "pulumi-nodejs:dynamic:Resource",
          old: bucketState(true, { team: "a" }),
          new: bucketState(false, { team: "b", extra: "1" }),
          detailedDiff: null,
        }),
      ],
      want: [
        { path: `resources[${JSON.stringify(BUCKET)}].inputs.tags.extra`, desired: undefined, observed: "1" },
        { path: `resources[${JSON.stringify(BUCKET)}].inputs.tags.team`, desired: "a", observed: "b" },
        { path: `resources[${JSON.stringify(BUCKET)}].inputs.versioning`, desired: true, observed: false },
      ],
    },
    {
      name: "reads a real provider's detailedDiff, paths and all",
      events: [
        outputs({
          op: "update",
          urn: CONFIG_MAP,
          type: "kubernetes:core/v1:ConfigMap",
          old: {
            type: "kubernetes:core/v1:ConfigMap",
            urn: CONFIG_MAP,
            inputs: { data: { greeting: "hello" }, metadata: { labels: { "app.kubernetes.io/team": "a" } } },
            outputs: { data: { greeting: "hello" }, metadata: { labels: { "app.kubernetes.io/team": "a" } } },
          },
          new: {
            type: "kubernetes:core/v1:ConfigMap",
            urn: CONFIG_MAP,
            inputs: {},
            outputs: {
              data: { greeting: "tampered" },
              metadata: { labels: { "app.kubernetes.io/team": "z" } },
            },
          },
          detailedDiff: {
            "data.greeting": { diffKind: "update-replace", inputDiff: false },
            'metadata.labels["app.kubernetes.io/team"]': { diffKind: "update", inputDiff: false },
          },
        }),
      ],
      want: [
        {
          path: `resources[${JSON.stringify(CONFIG_MAP)}].inputs.data.greeting`,
          desired: "hello",
          observed: "tampered",
        },
        {
          path: `resources[${JSON.stringify(CONFIG_MAP)}].inputs.metadata.labels["app.kubernetes.io/team"]`,
          desired: "a",
          observed: "z",
        },
      ],
    },
    {
      name: "reports a resource that is gone as a whole",
      events: [
        outputs({
          op: "delete",
          urn: BUCKET,
          type: "pulumi-nodejs:dynamic:Resource",
          old: bucketState(true, {}),
          new: null,
        }),
      ],
      want: [
        {
          path: `resources[${JSON.stringify(BUCKET)}]`,
          desired: "pulumi-nodejs:dynamic:Resource orders",
          observed: undefined,
        },
      ],
    },
    {
      name: "keeps a secret value out, reporting only its path",
      events: [
        outputs({
          op: "update",
          urn: CONFIG_MAP,
          type: "kubernetes:core/v1:Secret",
          old: {
            type: "kubernetes:core/v1:Secret",
            urn: CONFIG_MAP,
            inputs: { stringData: secret },
            outputs: { data: secret },
          },
          new: { type: "kubernetes:core/v1:Secret", urn: CONFIG_MAP, inputs: {}, outputs: { data: secret } },
          detailedDiff: { "data.token": { diffKind: "update", inputDiff: false } },
        }),
      ],
      want: [
        {
          path: `resources[${JSON.stringify(CONFIG_MAP)}].outputs.data.token`,
          desired: undefined,
          observed: undefined,
          sensitive: true,
        },
      ],
    },
    {
      name: "says nothing of resources that refreshed unchanged, of the stack, or of providers",
      events: [
        outputs({
          op: "same",
          urn: BUCKET,
          type: "pulumi-nodejs:dynamic:Resource",
          old: bucketState(true, {}),
          new: bucketState(true, {}),
        }),
        outputs({
          op: "update",
          urn: STACK,
          type: "pulumi:pulumi:Stack",
          old: { type: "", urn: STACK, outputs: { a: 1 } },
          new: { type: "", urn: STACK, outputs: { a: 2 } },
        }),
        outputs({
          op: "update",
          urn: "urn:x",
          type: "pulumi:providers:kubernetes",
          old: { type: "", urn: "", outputs: { a: 1 } },
          new: { type: "", urn: "", outputs: { a: 2 } },
        }),
      ],
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(refreshDrift(c.events), c.want));
  }
});

describe("a plan from a preview", () => {
  it("gives the program's new inputs as desired and the state as observed", () => {
    const events = [
      pre({
        op: "update",
        urn: BUCKET,
        type: "pulumi-nodejs:dynamic:Resource",
        old: bucketState(true, { team: "a" }),
        new: {
          ...bucketState(true, {}),
          inputs: { bucketName: "orders", versioning: true, tags: { team: "b" } },
        },
        diffs: ["tags"],
      }),
    ];
    assert.deepEqual(planChanges(events), [
      {
        path: `resources[${JSON.stringify(BUCKET)}].inputs.tags`,
        desired: { team: "b" },
        observed: { team: "a" },
      },
    ]);
  });

  it("names creates and deletes as whole resources, and skips the replacement's own steps", () => {
    const events = [
      pre({ op: "create", urn: BUCKET, type: "pulumi-nodejs:dynamic:Resource", new: bucketState(true, {}) }),
      pre({
        op: "delete",
        urn: CONFIG_MAP,
        type: "kubernetes:core/v1:ConfigMap",
        old: { type: "kubernetes:core/v1:ConfigMap", urn: CONFIG_MAP, id: "ns/cm" },
      }),
      pre({ op: "create-replacement", urn: CONFIG_MAP, type: "kubernetes:core/v1:ConfigMap" }),
    ];
    assert.deepEqual(planChanges(events), [
      {
        path: `resources[${JSON.stringify(BUCKET)}]`,
        desired: "pulumi-nodejs:dynamic:Resource orders",
        observed: undefined,
      },
      {
        path: `resources[${JSON.stringify(CONFIG_MAP)}]`,
        desired: undefined,
        observed: "kubernetes:core/v1:ConfigMap ns/cm",
      },
    ]);
  });
});

describe("the stack's state from a refresh", () => {
  it("counts its resources and splits its outputs into plain values and the names of secret ones", () => {
    const events = [
      pre({
        op: "refresh",
        urn: STACK,
        type: "pulumi:pulumi:Stack",
        old: { type: "pulumi:pulumi:Stack", urn: STACK, outputs: { arn: "arn:x", token: secret } },
      }),
      pre({
        op: "refresh",
        urn: "urn:p",
        type: "pulumi:providers:pulumi-nodejs",
        old: { type: "", urn: "urn:p" },
      }),
      pre({ op: "refresh", urn: BUCKET, type: "pulumi-nodejs:dynamic:Resource", old: bucketState(true, {}) }),
    ];
    assert.deepEqual(stackState(events), {
      resources: 1,
      outputs: { arn: "arn:x" },
      secretOutputs: ["token"],
    });
  });

  it("finds nothing in a stack that was never deployed", () => {
    assert.deepEqual(stackState([]), { resources: 0, outputs: {}, secretOutputs: [] });
  });
});

describe("paths", () => {
  const cases: [string, (string | number)[]][] = [
    ["data.greeting", ["data", "greeting"]],
    ['metadata.labels["app.kubernetes.io/name"]', ["metadata", "labels", "app.kubernetes.io/name"]],
    ["spec.ports[0].port", ["spec", "ports", 0, "port"]],
  ];
  for (const [text, segments] of cases) {
    it(`parses ${text}`, () => assert.deepEqual(parsePropertyPath(text), segments));
  }

  it("writes identifiers with dots and anything else in brackets", () => {
    assert.equal(
      formatPath("urn:x", "inputs", ["tags", "cost-centre", 0]),
      'resources["urn:x"].inputs.tags["cost-centre"][0]',
    );
  });
});

describe("diagnostics", () => {
  it("keeps error messages once each, on one line, without Pulumi's own summary line", () => {
    const events: EngineEventLike[] = [
      { diagnosticEvent: { severity: "warning", message: "using pulumi-resource-pulumi-nodejs from $PATH" } },
      { diagnosticEvent: { severity: "error", message: "Cannot find package\n '@aws-sdk/client-s3'\n" } },
      { diagnosticEvent: { severity: "error", message: "Cannot find package '@aws-sdk/client-s3'" } },
      { diagnosticEvent: { severity: "error", message: "update failed" } },
    ];
    assert.deepEqual(errorMessages(events), ["Cannot find package '@aws-sdk/client-s3'"]);
  });
});
