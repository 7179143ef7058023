// Every entry of the catalogue of bad inputs, by kind. A new kind adds its
// file (entries made with rejected() and answered(), and managedEntries() for
// the fields every managed kind shares) and one line here.
import { CATEGORIES, type Category, type Entry } from "./catalogue.ts";
import { DB_SUBNET_GROUP_ENTRIES } from "./dbsubnetgroup.ts";
import { LOAD_BALANCER_ENTRIES } from "./loadbalancer.ts";
import { PROVIDER_CONFIG_ENTRIES } from "./providerconfig.ts";
import { REFERENCE_ENTRIES } from "./references.ts";
import { SECURITY_GROUP_ENTRIES } from "./securitygroup.ts";
import { SQL_INSTANCE_ENTRIES } from "./sqlinstance.ts";

export * from "./catalogue.ts";

export const CATALOGUE: readonly Entry[] = [
  ...SQL_INSTANCE_ENTRIES,
  ...LOAD_BALANCER_ENTRIES,
  ...SECURITY_GROUP_ENTRIES,
  ...DB_SUBNET_GROUP_ENTRIES,
  ...REFERENCE_ENTRIES,
  ...PROVIDER_CONFIG_ENTRIES,
];

/** Entries counted by kind and outcome, and by category: the catalogue's own report. */
export function census(entries: readonly Entry[] = CATALOGUE) {
  const byKind: Record<string, { rejected: number; answered: number }> = {};
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  for (const e of entries) {
    const k = byKind[e.kind] ?? { rejected: 0, answered: 0 };
    k[e.outcome]++;
    byKind[e.kind] = k;
    byCategory[e.category]++;
  }
  return { total: entries.length, byKind, byCategory };
}
