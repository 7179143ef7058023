import { describe } from "node:test";
import { itFindsDrift } from "./fixtures.test-util.ts";

describe("attributes", () => {
  itFindsDrift([
    {
      name: "a changed attribute the spec sets is drift, fixed by ModifyLoadBalancerAttributes",
      mutate: (o) => {
        o.attributes!["idle_timeout.timeout_seconds"] = "60";
      },
      paths: ['forProvider.attributes["idle_timeout.timeout_seconds"]'],
      ops: ["ModifyLoadBalancerAttributes"],
    },
    {
      name: "attributes the spec does not set are ignored",
      mutate: (o) => {
        o.attributes!["deletion_protection.enabled"] = "true";
        o.attributes!["routing.http2.enabled"] = "false";
      },
      paths: [],
      ops: [],
    },
  ]);
});
