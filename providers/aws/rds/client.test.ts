import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TerminalError } from "../../../controller/provider.ts";
import { classifyAwsError } from "../shared/index.ts";
import { isAlreadyExists, isInvalidState, isNotFound, RDS_TERMINAL_CODES } from "./client.ts";

function awsError(name: string, status = 400): Error {
  return Object.assign(new Error(`${name}: details`), { name, $metadata: { httpStatusCode: status } });
}

describe("RDS error classification", () => {
  const terminal = [
    "InvalidParameterValue",
    "InvalidParameterCombination",
    "InvalidParameter",
    "StorageQuotaExceededFault",
    "InstanceQuotaExceededFault",
    "DBSubnetGroupNotFoundFault",
    "DBSecurityGroupNotFoundFault",
    "KMSKeyNotAccessibleFault",
    "InvalidClientTokenId",
  ];
  for (const code of terminal) {
    it(`treats ${code} as terminal, keeping the AWS code and message`, () => {
      const out = classifyAwsError(awsError(code), RDS_TERMINAL_CODES);
      assert.ok(out instanceof TerminalError);
      assert.equal(out.code, code);
      assert.match(out.message, /details/);
    });
  }
  const transient: [string, number][] = [
    ["Throttling", 400],
    ["InternalFailure", 500],
    ["ServiceUnavailable", 503],
    ["InvalidDBInstanceStateFault", 400],
    ["InsufficientDBInstanceCapacityFault", 400],
  ];
  for (const [code, status] of transient) {
    it(`treats ${code} as transient`, () => {
      const err = awsError(code, status);
      assert.equal(classifyAwsError(err, RDS_TERMINAL_CODES), err);
    });
  }
  it("recognises not-found, already-exists and invalid-state under the SDK and wire names", () => {
    assert.ok(isNotFound(awsError("DBInstanceNotFoundFault")) && isNotFound(awsError("DBInstanceNotFound")));
    assert.ok(
      isAlreadyExists(awsError("DBInstanceAlreadyExistsFault")) &&
        isAlreadyExists(awsError("DBInstanceAlreadyExists")),
    );
    assert.ok(isInvalidState(awsError("InvalidDBInstanceStateFault")));
    assert.ok(!isNotFound(new Error("DBInstanceNotFoundFault")), "a plain Error is not an AWS error");
  });
});
