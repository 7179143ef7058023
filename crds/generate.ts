// Generates CustomResourceDefinitions from the zod schemas in apis/. The
// schemas are the single source of truth: crds/*.yaml are this module's
// output, and crds/crds.test.ts fails when the two drift apart.
import { stringify } from "yaml";
import { z } from "zod";
import type { KindDefinition } from "../controller/api/index.ts";

type JsonSchema = Record<string, unknown>;

/** zod emits these for JSON Schema; a Kubernetes structural schema rejects or does not need them. */
const DROPPED_KEYS = new Set(["$schema", "id", "$id"]);
/** zod bounds z.number().int() by the safe-integer range; int64 needs no such noise. */
const SAFE_INTEGER_BOUNDS = new Set([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]);

/** Rewrites zod's OpenAPI 3.0 output into a structural schema the API server accepts. */
export function toStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStructural);
  if (!node || typeof node !== "object") return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node as JsonSchema)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === "additionalProperties" && value === false) continue;
    if ((key === "maximum" || key === "minimum") && SAFE_INTEGER_BOUNDS.has(value as number)) continue;
    if (key === "anyOf" || key === "oneOf" || key === "allOf" || key === "$ref") {
      throw new Error(
        `schema uses ${key}, which a structural CRD schema cannot express; use enums and CEL rules`,
      );
    }
    if (key === "properties") {
      // Property names are data, not keywords: "id" is a fine field name.
      out[key] = Object.fromEntries(
        Object.entries(value as JsonSchema).map(([name, schema]) => [name, toStructural(schema)]),
      );
      continue;
    }
    // Examples and enum lists are data, not schemas: keep them as they are.
    out[key] =
      key === "default" || key === "enum" || key === "x-kubernetes-validations" ? value : toStructural(value);
  }
  return out;
}

export function openApiOf(schema: z.ZodType): JsonSchema {
  // io "input": fields with defaults are optional for the user, and the API
  // server fills the defaults in at admission.
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: "input",
    unrepresentable: "throw",
    reused: "inline",
    cycles: "throw",
  });
  return toStructural(json) as JsonSchema;
}

const conditionColumn = (name: string, type: string) => ({
  name,
  type: "string",
  jsonPath: `.status.conditions[?(@.type=='${type}')].status`,
});

export function crdFor(def: KindDefinition): JsonSchema {
  const group = def.group;
  const columns = def.managed
    ? [
        conditionColumn("READY", "Ready"),
        conditionColumn("SYNCED", "Synced"),
        conditionColumn("DRIFTED", "Drifted"),
        {
          name: "EXTERNAL-NAME",
          type: "string",
          jsonPath: ".metadata.annotations.setpoint\\.dev/external-name",
        },
        { name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ]
    : [{ name: "AGE", type: "date", jsonPath: ".metadata.creationTimestamp" }];
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${def.plural}.${group}` },
    spec: {
      group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames ? { shortNames: def.shortNames } : {}),
        categories: def.managed ? ["setpoint", "managed"] : ["setpoint"],
      },
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: def.description,
              required: ["spec"],
              ...(def.rules?.length ? { "x-kubernetes-validations": def.rules } : {}),
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec: openApiOf(def.spec),
                status: openApiOf(def.status),
              },
            },
          },
        },
      ],
    },
  };
}

export function crdFileName(def: KindDefinition): string {
  return `${def.group}_${def.plural}.yaml`;
}

const HEADER = "# Generated from the zod schemas in apis/ by `npm run crds`. Do not edit.\n";

export function renderCrd(def: KindDefinition): string {
  return HEADER + stringify(crdFor(def), { lineWidth: 0 });
}
