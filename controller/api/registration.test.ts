import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import type { Provider } from "../provider.ts";
import { defineManagedKind, type KindDefinition } from "./kind.ts";
import { defineRegistry, registerKind, serviceBudgets } from "./registration.ts";
import { type ConfigKindDefinition, DEFAULT_TENANCY } from "./tenancy.ts";

const kind = (name: string) =>
  defineManagedKind({
    group: "test.setpoint.dev",
    version: "v1alpha1",
    kind: name,
    plural: `${name.toLowerCase()}s`,
    singular: name.toLowerCase(),
    description: name,
    forProvider: z.object({}),
    atProvider: z.object({}),
  });
type Empty = Record<string, never>;
const provider = (services?: Provider["services"]): Provider<Empty, Empty> => ({
  deriveExternalName: (ns, n) => `${ns}-${n}`,
  connect: async () => {
    throw new Error("not connected in this test");
  },
  ...(services ? { services } : {}),
});
const Config: ConfigKindDefinition = {
  ...(kind("Config") as KindDefinition),
  scope: "Cluster",
  managed: false,
  tenancy: () => DEFAULT_TENANCY,
};

describe("a registry", () => {
  it("lists the config kind first and then each managed kind, for the CRDs", () => {
    const r = defineRegistry({
      providerConfig: Config,
      kinds: [registerKind(kind("A"), provider()), registerKind(kind("B"), provider())],
    });
    assert.deepEqual(
      r.crds.map((d) => d.kind),
      ["Config", "A", "B"],
    );
  });

  it("ties every managed kind to the config kind its spec.providerConfigRef names", () => {
    const r = defineRegistry({ providerConfig: Config, kinds: [registerKind(kind("A"), provider())] });
    assert.equal(r.kinds[0]?.configKind, Config);
  });

  it("refuses a kind registered twice", () => {
    assert.throws(
      () =>
        defineRegistry({ kinds: [registerKind(kind("A"), provider()), registerKind(kind("A"), provider())] }),
      /registered twice/,
    );
  });

  it("gives each service the budget its providers declare, once, when they agree", () => {
    const rds = { burst: 100, ratePerSecond: 10 };
    const r = defineRegistry({
      kinds: [
        registerKind(kind("A"), provider({ rds })),
        registerKind(kind("B"), provider({ rds: { ...rds }, ec2: rds })),
      ],
    });
    assert.deepEqual(serviceBudgets(r.kinds), { rds, ec2: rds });
  });

  it("refuses two providers that declare different budgets for one service", () => {
    assert.throws(
      () =>
        defineRegistry({
          kinds: [
            registerKind(kind("A"), provider({ rds: { burst: 100, ratePerSecond: 10 } })),
            registerKind(kind("B"), provider({ rds: { burst: 50, ratePerSecond: 10 } })),
          ],
        }),
      /A and B declare different budgets for the rds service/,
    );
  });
});
