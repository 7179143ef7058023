import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Secret } from "@kubernetes/client-node";
import type { Managed } from "../api/index.ts";
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import { collectionPath, splitApiVersion } from "./client.ts";
import {
  describeError,
  httpStatus,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  isStatusGone,
  KubeApiError,
  wrapApiError,
} from "./errors.ts";
import { dataHash, decodeData, encodeData, ownerReferenceTo, secretMatches } from "./secrets.ts";

describe("errors", () => {
  const apiException = (code: number, body: unknown) =>
    Object.assign(
      new Error(
        `HTTP-Code: ${code}\nMessage: x\nBody: ${JSON.stringify(body)}\nHeaders: {"authorization":"Bearer t"}`,
      ),
      {
        code,
        body,
      },
    );

  test("the HTTP status is read from ApiException.code, Watch's statusCode, or a Status body", () => {
    assert.equal(httpStatus(apiException(404, {})), 404);
    assert.equal(httpStatus(Object.assign(new Error("Gone"), { statusCode: 410 })), 410);
    assert.equal(httpStatus({ body: JSON.stringify({ kind: "Status", code: 409 }) }), 409);
    assert.equal(httpStatus(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })), undefined);
    assert.equal(httpStatus(undefined), undefined);
  });

  test("a 409 is a conflict unless the reason says the name is taken", () => {
    assert.equal(isConflict(apiException(409, { reason: "Conflict" })), true);
    assert.equal(isConflict(apiException(409, { reason: "AlreadyExists" })), false);
    assert.equal(isAlreadyExists(apiException(409, { reason: "AlreadyExists" })), true);
    assert.equal(isNotFound(apiException(404, {})), true);
    assert.equal(isGone(apiException(410, {})), true);
  });

  test("a watch ERROR Status is gone for code 410 or reason Expired", () => {
    assert.equal(isStatusGone({ kind: "Status", code: 410 }), true);
    assert.equal(isStatusGone({ kind: "Status", reason: "Expired" }), true);
    assert.equal(isStatusGone({ kind: "Status", code: 500 }), false);
    assert.equal(isStatusGone(null), false);
  });

  test("describeError gives the status and the apiserver's message, never headers", () => {
    const text = describeError(
      apiException(409, { reason: "Conflict", message: "the object has been modified" }),
    );
    assert.equal(text, "HTTP 409 Conflict: the object has been modified");
    assert.doesNotMatch(text, /Bearer/);
    assert.equal(describeError(new TypeError("fetch failed")), "TypeError: fetch failed");
  });
});

describe("wrapApiError", () => {
  test("an HTTP error becomes a one-line KubeApiError that still answers the status helpers", () => {
    const raw = Object.assign(new Error("HTTP-Code: 403\nMessage: x\nBody: {}\nHeaders: {}"), {
      code: 403,
      body: { reason: "Forbidden", message: "secrets is forbidden" },
    });
    const wrapped = wrapApiError(raw, "reading Secret a/b");
    assert.ok(wrapped instanceof KubeApiError);
    assert.equal(wrapped.message, "reading Secret a/b: HTTP 403 Forbidden: secrets is forbidden");
    assert.equal(httpStatus(wrapped), 403);
    assert.equal(wrapped.cause, raw);
  });

  test("errors without an HTTP status pass through unchanged", () => {
    const network = new TypeError("fetch failed");
    assert.equal(wrapApiError(network, "x"), network);
  });
});

describe("backoff", () => {
  test("delays double from 800ms up to 30s, with jitter adding up to half", () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, DEFAULT_BACKOFF, 0));
    assert.deepEqual(delays, [800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
    assert.equal(backoffDelay(0, DEFAULT_BACKOFF, 0.999), 1200);
  });

  test("reset() starts the sequence over", () => {
    const b = new Backoff({}, () => 0);
    assert.deepEqual([b.next(), b.next(), b.next()], [800, 1600, 3200]);
    b.reset();
    assert.equal(b.next(), 800);
  });
});

describe("paths", () => {
  test("core and grouped resources, namespaced or across all namespaces", () => {
    assert.equal(collectionPath({ group: "", version: "v1", plural: "secrets" }), "/api/v1/secrets");
    assert.equal(
      collectionPath({
        group: "aws.setpoint.dev",
        version: "v1alpha1",
        plural: "sqlinstances",
        namespace: "a",
      }),
      "/apis/aws.setpoint.dev/v1alpha1/namespaces/a/sqlinstances",
    );
    assert.deepEqual(splitApiVersion("v1"), { group: "", version: "v1" });
    assert.deepEqual(splitApiVersion("aws.setpoint.dev/v1alpha1"), {
      group: "aws.setpoint.dev",
      version: "v1alpha1",
    });
  });
});

describe("secrets", () => {
  const owner: Managed = {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "SqlInstance",
    metadata: { name: "db", namespace: "n", uid: "u1" },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
  };

  test("the data digest ignores key order and changes with any value, the name or the type", () => {
    const h = dataHash("s", "t", { a: "1", b: "2" });
    assert.equal(h, dataHash("s", "t", { b: "2", a: "1" }));
    assert.notEqual(h, dataHash("s", "t", { a: "1", b: "3" }));
    assert.notEqual(h, dataHash("s2", "t", { a: "1", b: "2" }));
    assert.notEqual(h, dataHash("s", "t2", { a: "1", b: "2" }));
    assert.notEqual(dataHash("s", "t", { ab: "c" }), dataHash("s", "t", { a: "bc" }));
  });

  test("data survives the base64 round trip, unicode included", () => {
    const data = { password: "pä$$\u00fcw0rd", empty: "" };
    assert.deepEqual(decodeData(encodeData(data)), data);
  });

  test("a live Secret matches only with the same type, data and controller", () => {
    const live: V1Secret = {
      metadata: { name: "s", ownerReferences: [ownerReferenceTo(owner)] },
      type: "t",
      data: encodeData({ a: "1" }),
    };
    assert.equal(secretMatches(live, owner, "t", { a: "1" }), true);
    assert.equal(secretMatches(live, owner, "t", { a: "2" }), false);
    assert.equal(secretMatches(live, owner, "t", { a: "1", b: "2" }), false);
    assert.equal(secretMatches(live, owner, "Opaque", { a: "1" }), false);
    assert.equal(secretMatches({ ...live, metadata: { name: "s" } }, owner, "t", { a: "1" }), false);
  });

  test("the owner reference makes the resource the Secret's controller and blocks its deletion", () => {
    assert.deepEqual(ownerReferenceTo(owner), {
      apiVersion: "aws.setpoint.dev/v1alpha1",
      kind: "SqlInstance",
      name: "db",
      uid: "u1",
      controller: true,
      blockOwnerDeletion: true,
    });
  });
});
