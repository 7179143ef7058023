import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TerminalError } from "../../../controller/provider.ts";
import { awsErrorCode, classifyAwsError } from "./errors.ts";

function awsError(name: string, message: string, status = 400): Error {
  const e = new Error(message) as Error & { $metadata: unknown; $fault: string };
  e.name = name;
  e.$metadata = { httpStatusCode: status };
  e.$fault = status >= 500 ? "server" : "client";
  return e;
}

const TERMINAL = new Set(["InvalidParameterValue"]);

describe("classifyAwsError", () => {
  const cases: { name: string; err: unknown; terminal: boolean }[] = [
    { name: "a listed code is terminal", err: awsError("InvalidParameterValue", "bad"), terminal: true },
    {
      name: "a credential failure is terminal",
      err: awsError("InvalidClientTokenId", "bad key", 403),
      terminal: true,
    },
    { name: "throttling is transient", err: awsError("Throttling", "Rate exceeded"), terminal: false },
    { name: "a 5xx is transient", err: awsError("InternalFailure", "oops", 500), terminal: false },
    { name: "an unknown 4xx is transient", err: awsError("SomethingNew", "?"), terminal: false },
    {
      name: "a network error is transient",
      err: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      terminal: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = classifyAwsError(c.err, TERMINAL);
      if (c.terminal) {
        assert.ok(out instanceof TerminalError);
        assert.equal(out.code, awsErrorCode(c.err));
        assert.ok(out.message.includes((c.err as Error).message));
      } else {
        assert.equal(out, c.err);
      }
    });
  }
  it("passes a TerminalError through unchanged", () => {
    const t = new TerminalError("ForeignOwner", "x");
    assert.equal(classifyAwsError(t, TERMINAL), t);
  });
});
