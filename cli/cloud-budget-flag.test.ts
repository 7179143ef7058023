import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCloudBudget } from "./cloud-budget-flag.ts";

describe("--cloud-budget", () => {
  it("reads rate and burst per service", () => {
    assert.deepEqual(parseCloudBudget("rds=10/100, elbv2=2.5/20"), {
      rds: { ratePerSecond: 10, burst: 100 },
      elbv2: { ratePerSecond: 2.5, burst: 20 },
    });
  });

  for (const bad of ["rds=10", "rds=0/10", "rds=10/0", "=1/2", "rds:10/100"]) {
    it(`rejects "${bad}" with an example of the right form`, () => {
      assert.throws(() => parseCloudBudget(bad), /service=rate\/burst, e\.g\. rds=10\/100/);
    });
  }
});
