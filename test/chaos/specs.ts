// The specs a chaos round writes: a new SqlInstance or LoadBalancer, and the edits a user makes to
// one (spec changes that need an update in the cloud). Pure functions of a seeded Rng, so a seed
// replays the same workload.
import {
  SEED_DB_SUBNET_GROUP,
  SEED_SECURITY_GROUP_ID,
  SEED_SUBNET_IDS,
  SEED_VPC_ID,
} from "../../localstack/seed.ts";
import type { Rng } from "./rng.ts";

export type ChaosKind = "SqlInstance" | "LoadBalancer";

/** A spec as written to the API server (spec, not the whole object). */
export interface Spec {
  writeConnectionSecretToRef?: { name: string };
  forProvider: Record<string, unknown>;
}

export const IDLE_TIMEOUT = "idle_timeout.timeout_seconds";
const INSTANCE_CLASSES = ["db.t3.micro", "db.t3.small", "db.t3.medium"];
const TEAMS = ["payments", "storefront", "search"];
const HEALTH_PATHS = ["/healthz", "/ready", "/livez"];
const IDLE_TIMEOUTS = ["30", "60", "120", "300"];

/** A SqlInstance spec; `passwordSecret` names a user-provided password Secret, else setpoint makes one. */
export function sqlInstanceSpec(rng: Rng, name: string, passwordSecret?: string): Spec {
  return {
    writeConnectionSecretToRef: { name: `${name}-connection` },
    forProvider: {
      engine: "postgres",
      instanceClass: rng.pick(INSTANCE_CLASSES),
      allocatedStorage: rng.int(20, 30),
      masterUsername: "app",
      dbSubnetGroupName: SEED_DB_SUBNET_GROUP,
      vpcSecurityGroupIds: [SEED_SECURITY_GROUP_ID],
      backupRetentionPeriod: rng.pick([1, 7]),
      deletionProtection: false,
      skipFinalSnapshot: true,
      tags: { team: rng.pick(TEAMS), chaos: "true" },
      ...(passwordSecret ? { masterPasswordSecretRef: { name: passwordSecret, key: "password" } } : {}),
    },
  };
}

function targetGroup(name: string, port: number, rng: Rng): Record<string, unknown> {
  return {
    name,
    protocol: "HTTP",
    port,
    targetType: "ip",
    vpcId: SEED_VPC_ID,
    healthCheck: { protocol: "HTTP", path: rng.pick(HEALTH_PATHS), intervalSeconds: rng.pick([15, 30]) },
  };
}

const forward = (port: number, targetGroupName: string) => ({
  port,
  protocol: "HTTP",
  defaultAction: { type: "forward", targetGroupName },
});

const fixedResponse = (port: number) => ({
  port,
  protocol: "HTTP",
  defaultAction: { type: "fixed-response", fixedResponse: { statusCode: "404", contentType: "text/plain" } },
});

/** An application load balancer with one or two target groups and their listeners. */
export function loadBalancerSpec(rng: Rng): Spec {
  const second = rng.chance(0.4);
  return {
    forProvider: {
      type: "application",
      scheme: "internet-facing",
      ipAddressType: "ipv4",
      subnets: [...SEED_SUBNET_IDS],
      securityGroups: [SEED_SECURITY_GROUP_ID],
      attributes: { [IDLE_TIMEOUT]: rng.pick(IDLE_TIMEOUTS), "deletion_protection.enabled": "false" },
      tags: { team: rng.pick(TEAMS), chaos: "true" },
      targetGroups: [targetGroup("web", 8080, rng), ...(second ? [targetGroup("api", 9090, rng)] : [])],
      listeners: [
        forward(80, "web"),
        ...(second ? [forward(8081, "api")] : []),
        ...(rng.chance(0.3) ? [fixedResponse(8088)] : []),
      ],
    },
  };
}

const clone = <T>(v: T): T => structuredClone(v);
const otherThan = <T>(rng: Rng, items: readonly T[], current: unknown): T =>
  rng.pick(items.filter((i) => i !== current));

/** A user's edit of a spec: what changed (for the report) and the new spec. */
export function editSpec(kind: ChaosKind, spec: Spec, rng: Rng): { what: string; spec: Spec } {
  const next = clone(spec);
  const fp = next.forProvider;
  const tags = (fp.tags ?? {}) as Record<string, string>;
  if (kind === "SqlInstance") {
    const what = rng.pick(["storage", "class", "tags"] as const);
    if (what === "storage") fp.allocatedStorage = Math.min(200, Number(fp.allocatedStorage) + rng.int(5, 10));
    if (what === "class") fp.instanceClass = otherThan(rng, INSTANCE_CLASSES, fp.instanceClass);
    if (what === "tags") fp.tags = { ...tags, team: otherThan(rng, TEAMS, tags.team) };
    return { what: `sql.${what}`, spec: next };
  }
  const what = rng.pick(["idleTimeout", "healthCheck", "secondGroup", "fixedResponse", "tags"] as const);
  const attributes = fp.attributes as Record<string, string>;
  const groups = fp.targetGroups as Record<string, unknown>[];
  const listeners = fp.listeners as Record<string, unknown>[];
  if (what === "idleTimeout")
    attributes[IDLE_TIMEOUT] = otherThan(rng, IDLE_TIMEOUTS, attributes[IDLE_TIMEOUT]);
  if (what === "healthCheck") {
    const tg = rng.pick(groups);
    const hc = tg.healthCheck as Record<string, unknown>;
    hc.path = otherThan(rng, HEALTH_PATHS, hc.path);
  }
  if (what === "secondGroup") {
    if (groups.some((g) => g.name === "api")) {
      fp.targetGroups = groups.filter((g) => g.name !== "api");
      fp.listeners = listeners.filter((l) => l.port !== 8081);
    } else {
      fp.targetGroups = [...groups, targetGroup("api", 9090, rng)];
      fp.listeners = [...listeners, forward(8081, "api")];
    }
  }
  if (what === "fixedResponse") {
    fp.listeners = listeners.some((l) => l.port === 8088)
      ? listeners.filter((l) => l.port !== 8088)
      : [...listeners, fixedResponse(8088)];
  }
  if (what === "tags") fp.tags = { ...tags, team: otherThan(rng, TEAMS, tags.team) };
  return { what: `lb.${what}`, spec: next };
}
