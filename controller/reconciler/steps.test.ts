import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ForeignResourceError,
  RetryAfterError,
  TerminalError,
  UnresolvedReferenceError,
} from "../provider.ts";
import { ObjectGoneError } from "./ports.ts";
import { FailureReason, Step, StepError, step } from "./steps.ts";

describe("a step error", () => {
  const cases: {
    name: string;
    cause: unknown;
    expect: { message: string; terminal: boolean; retryAfterMs?: number; code?: string };
  }[] = [
    {
      name: "a transient error keeps the cloud's message behind the step",
      cause: new Error("Rate exceeded"),
      expect: { message: "cannot observe external resource: Rate exceeded", terminal: false },
    },
    {
      name: "a terminal error keeps its code",
      cause: new TerminalError("InvalidParameterValue", "bad size"),
      expect: {
        message: "cannot observe external resource: InvalidParameterValue: bad size",
        terminal: true,
        code: "InvalidParameterValue",
      },
    },
    {
      name: "a retry-after keeps its delay",
      cause: new RetryAfterError("not visible yet", 5),
      expect: {
        message: "cannot observe external resource: not visible yet",
        terminal: false,
        retryAfterMs: 5000,
      },
    },
    {
      name: "a resource another owner holds becomes the engine's terminal ForeignOwner",
      cause: new ForeignResourceError("target group tg-1", "team-b/web"),
      expect: {
        message:
          "cannot observe external resource: ForeignOwner: target group tg-1 exists and belongs to another resource (team-b/web); choose another name with the setpoint.dev/external-name annotation",
        terminal: true,
        code: "ForeignOwner",
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = StepError.wrap(Step.Observe, c.cause);
      assert.equal(err.message, c.expect.message);
      assert.equal(err.terminal, c.expect.terminal);
      assert.equal(err.retryAfterMs, c.expect.retryAfterMs);
      assert.equal(err.code, c.expect.code);
      assert.equal(err.reason, "CannotObserveExternalResource");
    });
  }

  it("reports a Secret the spec names and that is missing under resolve references, whichever call found it", () => {
    const err = StepError.wrap(
      Step.Connect,
      new UnresolvedReferenceError("master password Secret a/b not found"),
    );
    assert.equal(err.step, Step.ResolveReferences);
    assert.equal(err.message, "cannot resolve references: master password Secret a/b not found");
    assert.equal(err.terminal, false);
    assert.equal(err.reason, "CannotResolveResourceReferences");
  });

  it("names a service error by the wire code it carries, as the AWS SDK's errors do", () => {
    const err = Object.assign(new Error("Instance is being backed up"), { Code: "InvalidDBInstanceState" });
    assert.equal(
      StepError.wrap(Step.Delete, err).message,
      "cannot delete external resource: InvalidDBInstanceState: Instance is being backed up",
    );
  });

  it("names the innermost step when steps nest", async () => {
    const err = await step(Step.Create, () =>
      step(Step.PublishConnection, () => Promise.reject(new Error("x"))),
    ).catch((e) => e);
    assert.equal((err as StepError).step, Step.PublishConnection);
  });

  it("lets a gone object through unwrapped: that is not a failure of the step", async () => {
    const err = await step(Step.WriteStatus, () => Promise.reject(new ObjectGoneError("gone"))).catch(
      (e) => e,
    );
    assert.ok(err instanceof ObjectGoneError);
  });

  it("has an event reason for every step", () => {
    for (const s of Object.values(Step)) assert.match(FailureReason[s], /^Cannot[A-Z]/);
  });
});
