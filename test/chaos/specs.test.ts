import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadBalancerForProvider } from "../../apis/aws/v1alpha1/loadbalancer.ts";
import { SqlInstanceParameters } from "../../apis/aws/v1alpha1/sqlinstance.ts";
import { Rng } from "./rng.ts";
import { editSpec, loadBalancerSpec, sqlInstanceSpec } from "./specs.ts";

describe("the chaos workload's specs", () => {
  it("are valid for their kind, before and after any number of edits", () => {
    const rng = new Rng(3);
    for (let i = 0; i < 50; i++) {
      let sql = sqlInstanceSpec(rng, `db-${i}`, i % 2 ? `db-${i}-password` : undefined);
      let lb = loadBalancerSpec(rng);
      for (let e = 0; e < 10; e++) {
        SqlInstanceParameters.parse(sql.forProvider);
        LoadBalancerForProvider.parse(lb.forProvider);
        sql = editSpec("SqlInstance", sql, rng).spec;
        lb = editSpec("LoadBalancer", lb, rng).spec;
      }
    }
  });

  it("give every listener's forward action a target group of the same spec", () => {
    const rng = new Rng(5);
    let lb = loadBalancerSpec(rng);
    for (let e = 0; e < 200; e++) {
      const fp = lb.forProvider as {
        targetGroups: { name: string }[];
        listeners: { defaultAction: { type: string; targetGroupName?: string } }[];
      };
      const names = new Set(fp.targetGroups.map((t) => t.name));
      for (const l of fp.listeners)
        if (l.defaultAction.type === "forward") assert.ok(names.has(l.defaultAction.targetGroupName ?? ""));
      lb = editSpec("LoadBalancer", lb, rng).spec;
    }
  });

  it("change the spec with every edit, and leave the original alone", () => {
    const rng = new Rng(9);
    for (const kind of ["SqlInstance", "LoadBalancer"] as const) {
      for (let i = 0; i < 30; i++) {
        const spec = kind === "SqlInstance" ? sqlInstanceSpec(rng, "db") : loadBalancerSpec(rng);
        const before = JSON.stringify(spec);
        const edited = editSpec(kind, spec, rng);
        assert.equal(JSON.stringify(spec), before, "the input is not mutated");
        assert.notEqual(JSON.stringify(edited.spec), before, `${edited.what} changed nothing`);
      }
    }
  });
});

describe("the chaos rounds' random streams", () => {
  it("replay for one seed, and differ between labels and seeds", () => {
    const draw = (r: Rng) => Array.from({ length: 5 }, () => r.next());
    assert.deepEqual(draw(Rng.fork(1, "workload")), draw(Rng.fork(1, "workload")));
    assert.notDeepEqual(draw(Rng.fork(1, "workload")), draw(Rng.fork(1, "faults")));
    assert.notDeepEqual(draw(Rng.fork(1, "workload")), draw(Rng.fork(2, "workload")));
  });

  it("pick by weight, never one with weight 0", () => {
    const rng = new Rng(11);
    const seen = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 4000; i++) seen[rng.weighted({ a: 3, b: 1, c: 0 })]++;
    assert.equal(seen.c, 0);
    assert.ok(seen.a > 2.5 * seen.b && seen.a < 3.5 * seen.b, JSON.stringify(seen));
  });
});
