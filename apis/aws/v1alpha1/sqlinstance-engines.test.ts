import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type EngineFamily, FAMILY_RULES } from "./sqlinstance-engines.ts";

// The patterns are RE2 in the API server; these ones mean the same in JavaScript.
const accepts = (family: EngineFamily, version: string) =>
  new RegExp(FAMILY_RULES[family].version).test(version);

describe("engine version formats", () => {
  // What RDS offers or reports today, what it reported for instances still
  // running, and what moto reports by default: late initialization copies
  // the reported version into the spec, so each one must pass.
  const reported: [EngineFamily, string][] = [
    ["postgres", "16"],
    ["postgres", "16.4"],
    ["postgres", "17.2"],
    ["postgres", "11.22-rds.20240418"],
    ["postgres", "9.6.24"],
    ["postgres", "9.3.3"],
    ["mysql", "8.0"],
    ["mysql", "8.0.39"],
    ["mysql", "8.4.3"],
    ["mysql", "5.7.44-rds.20240408"],
    ["mysql", "5.6.21"],
    ["mariadb", "10.11.9"],
    ["mariadb", "11.4"],
    ["oracle", "19.0.0.0.ru-2024-10.rur-2024-10.r1"],
    ["oracle", "21.0.0.0.ru-2024-04.rur-2024-04.r1"],
    ["oracle", "11.2.0.4.v3"],
    ["sqlserver", "16.00.4165.4.v1"],
    ["sqlserver", "15.00"],
    ["sqlserver", "11.00.2100.60.v1"],
    ["db2", "11.5.9.0.sb00000000.r1"],
  ];
  for (const [family, version] of reported) {
    it(`accepts ${FAMILY_RULES[family].title} ${version}`, () => assert.ok(accepts(family, version)));
  }

  const refused: [EngineFamily, string][] = [
    ["postgres", "99.9"],
    ["postgres", "8.0"],
    ["postgres", "9.2"],
    ["mysql", "16.4"],
    ["mysql", "10.11"],
    ["mariadb", "8.0.39"],
    ["oracle", "99"],
    ["sqlserver", "15"],
    ["db2", "5.7"],
  ];
  for (const [family, version] of refused) {
    it(`refuses ${FAMILY_RULES[family].title} ${version}`, () => assert.ok(!accepts(family, version)));
  }
});
