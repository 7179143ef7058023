// withoutBlindResend with the real ELBv2 SDK client, through the fault proxy, in front of a stand-in
// emulator that records which calls reached "the cloud".
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  CreateLoadBalancerCommand,
  ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { isTerminal } from "../../../controller/provider.ts";
import { type AwsFault, AwsFaultProxy } from "../../../test/support/aws-fault-proxy.ts";
import { StandInEmulator } from "../../../test/support/aws-stand-in.ts";
import { classifyAwsError } from "./errors.ts";
import { NotResentError, withoutBlindResend } from "./resend.ts";

const emulator = new StandInEmulator();
let proxy: AwsFaultProxy;
let client: ElasticLoadBalancingV2Client;

before(async () => {
  await emulator.start();
  proxy = await AwsFaultProxy.start({ target: emulator.url, slowMs: 3_000 });
  client = new ElasticLoadBalancingV2Client({
    region: "us-east-1",
    endpoint: proxy.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 3,
    requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true, socketTimeout: 300 },
  });
});
after(async () => {
  client.destroy();
  await proxy.close();
  await emulator.stop();
});
afterEach(() => {
  proxy.clearRules();
  proxy.resetCounts();
  emulator.received.length = 0;
});

const create = () =>
  client.send(withoutBlindResend(new CreateLoadBalancerCommand({ Name: "lb", Subnets: ["subnet-1"] })));

describe("withoutBlindResend", () => {
  const unclear: { fault: AwsFault; what: string; reached: number }[] = [
    { fault: "dropAfterApply", what: "an answer lost after the create was applied", reached: 1 },
    { fault: "slow", what: "an answer that came after the client's timeout", reached: 1 },
    { fault: "reset", what: "a connection reset before the create was sent", reached: 0 },
    { fault: "serverError", what: "a 5xx, which may or may not have been applied", reached: 0 },
  ];
  for (const c of unclear) {
    it(`does not send a create again after ${c.what}, and says why`, async () => {
      proxy.inject({ action: "CreateLoadBalancer", fault: c.fault });
      await assert.rejects(create(), (err: unknown) => {
        assert.ok(err instanceof NotResentError, String(err));
        assert.equal(err.operation, "CreateLoadBalancer");
        assert.match(err.message, /CreateLoadBalancer got no clear answer .* was not sent again/);
        return true;
      });
      assert.equal(proxy.stats().callsByAction.CreateLoadBalancer, 1, "sent once");
      assert.equal(emulator.count("CreateLoadBalancer"), c.reached);
    });
  }

  it("sends a throttled create again, since AWS answered that it did not apply it", async () => {
    proxy.inject({ action: "CreateLoadBalancer", fault: "throttle" });
    await create();
    assert.equal(proxy.stats().callsByAction.CreateLoadBalancer, 2);
    assert.equal(emulator.count("CreateLoadBalancer"), 1);
  });

  it("leaves the error transient, so the engine retries after observing", async () => {
    proxy.inject({ action: "CreateLoadBalancer", fault: "dropAfterApply" });
    const err = await create().catch((e: unknown) => e);
    assert.ok(err instanceof NotResentError);
    assert.equal(isTerminal(classifyAwsError(err, new Set(["ValidationError"]))), false);
  });
});
