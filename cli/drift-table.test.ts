import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Managed } from "../controller/api/index.ts";
import { renderDriftTable, toDriftRow } from "./drift-table.ts";

const now = Date.parse("2026-01-01T00:10:00Z");

function mr(status: Managed["status"]): Managed {
  return {
    apiVersion: "aws.setpoint.dev/v1alpha1",
    kind: "SqlInstance",
    metadata: { name: "db", namespace: "team-a", annotations: { "setpoint.dev/external-name": "team-a-db" } },
    spec: {
      providerConfigRef: { name: "default" },
      managementPolicies: ["*"],
      deletionPolicy: "Delete",
      forProvider: {},
    },
    status,
  };
}

const cond = (type: string, status: "True" | "False", message?: string) => ({
  type,
  status,
  reason: "x",
  lastTransitionTime: "2026-01-01T00:00:00Z",
  ...(message ? { message } : {}),
});

describe("setpoint drift", () => {
  it("a drifting resource shows each field with desired and observed values", () => {
    const row = toDriftRow(
      mr({
        conditions: [cond("Ready", "True"), cond("Synced", "True"), cond("Drifted", "True")],
        drift: {
          corrections: 1,
          recreations: 0,
          fields: [{ path: "forProvider.allocatedStorage", desired: "20", observed: "30" }],
          history: [],
        },
      }),
    );
    const table = renderDriftTable([row], now);
    assert.match(table, /forProvider\.allocatedStorage: 20 → 30/);
    assert.match(table, /^NAMESPACE\s+KIND\s+NAME/);
  });

  it("the last correction ignores reports and shows how long ago it was", () => {
    const row = toDriftRow(
      mr({
        drift: {
          corrections: 2,
          recreations: 1,
          fields: [],
          history: [
            { time: "2026-01-01T00:09:00Z", action: "Reported", fields: ["forProvider.port"] },
            { time: "2026-01-01T00:05:00Z", action: "Recreated", fields: ["(resource)"] },
          ],
        },
      }),
    );
    assert.deepEqual(row.lastCorrection?.action, "Recreated");
    assert.match(renderDriftTable([row], now), /Recreated \(resource\) \(5m ago\)\s+2\s+1$/m);
  });

  it("a resource that is not synced has its reason listed under the table", () => {
    const row = toDriftRow(mr({ conditions: [cond("Synced", "False", "ForeignOwner: owned by team-b/db")] }));
    assert.match(
      renderDriftTable([row], now),
      /Not synced:\n {2}team-a\/db: ForeignOwner: owned by team-b\/db/,
    );
  });

  it("a resource with no status yet reads Unknown, not blank", () => {
    const row = toDriftRow(mr(undefined));
    assert.equal(row.ready, "Unknown");
    assert.equal(row.fields.length, 0);
  });

  it("an empty list says so instead of printing a bare header", () => {
    assert.equal(renderDriftTable([], now), "No managed resources found.\n");
  });
});
