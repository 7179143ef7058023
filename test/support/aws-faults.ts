// Which fault a call gets: the fault kinds, random rates and deterministic rules, and the seeded draw
// that makes a random fault a pure function of (seed, service, action, n). No I/O; the proxy
// (aws-fault-proxy.ts) applies what this decides.
import { createHash } from "node:crypto";

/**
 * The faults the proxy can inject, in the order random rates are drawn.
 * "refuse" answers with the AWS error a rule names (an AccessDenied, an
 * InvalidDBInstanceState): the cloud saying no. It is for rules only.
 */
export const AWS_FAULTS = ["throttle", "serverError", "reset", "slow", "dropAfterApply", "refuse"] as const;
export type AwsFault = (typeof AWS_FAULTS)[number];

/** What the proxy knows about one AWS call when it decides on a fault. */
export interface AwsCall {
  /** The SigV4 signing name: "rds", "elasticloadbalancing", "ec2", ... ("unknown" if unsigned). */
  service: string;
  /** The API action, e.g. "CreateLoadBalancer" ("unknown" if the request names none). */
  action: string;
  /** Not a Describe*, List* or Get* call: it may change the cloud. */
  mutating: boolean;
}

export interface AwsCallRecord extends AwsCall {
  /** 1-based, in arrival order. */
  seq: number;
  /** The fault injected, if any. */
  fault?: AwsFault;
  /** The HTTP status the caller received; undefined when the connection was reset or is still open. */
  status?: number;
  /** True when the call reached the emulator (so a mutating call may have been applied). */
  forwarded: boolean;
}

/** Probability per call of each fault, each in [0, 1]; their sum must not exceed 1. */
export type FaultRates = Partial<Record<AwsFault, number>>;

/** A deterministic fault for tests: "drop the response to the next CreateLoadBalancer". */
export interface FaultRule {
  fault: AwsFault;
  /** The action to match, exactly or by pattern. Default: any action. */
  action?: string | RegExp;
  /** The SigV4 service to match, e.g. "elasticloadbalancing". Default: any. */
  service?: string;
  /** Only mutating calls, only reads, or any (default). */
  calls?: "mutating" | "read" | "any";
  /** Matching calls to let through before the first fault. Default 0. */
  skip?: number;
  /** How many matching calls get the fault. Default 1; Infinity for every one. */
  times?: number;
  /** For fault "refuse": the AWS error the call is answered with. Status default 400. */
  refusal?: { code: string; message: string; status?: number };
}

const READ_PREFIXES = ["Describe", "List", "Get"];

/** True for an action that may change the cloud: anything but Describe*, List* and Get*. */
export function isMutatingAction(action: string): boolean {
  return !READ_PREFIXES.some((p) => action.startsWith(p));
}

/** A uniform number in [0, 1) for the n-th call of (service, action) under `seed`; pure. */
export function callDraw(seed: number, service: string, action: string, n: number): number {
  const digest = createHash("sha256").update(`${seed}\0${service}\0${action}\0${n}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** The random fault (or none) for a draw in [0, 1): the rates are laid end to end in AWS_FAULTS order. */
export function faultForDraw(draw: number, rates: FaultRates): AwsFault | undefined {
  let edge = 0;
  for (const fault of AWS_FAULTS) {
    edge += rates[fault] ?? 0;
    if (draw < edge) return fault;
  }
  return undefined;
}

export function checkRates(rates: FaultRates): void {
  let sum = 0;
  for (const [fault, rate] of Object.entries(rates)) {
    if (!AWS_FAULTS.includes(fault as AwsFault)) throw new Error(`unknown fault ${JSON.stringify(fault)}`);
    if (fault === "refuse" && rate !== 0)
      throw new Error(
        "refuse is a fault for rules only, with no random rate: it needs the error to answer with",
      );
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
      throw new Error(`the rate of ${fault} must be a number in [0, 1], not ${String(rate)}`);
    }
    sum += rate;
  }
  if (sum > 1 + 1e-9) throw new Error(`fault rates add up to ${sum}, more than 1`);
}

/** Whether `rule` applies to `call` (before its skip and times are counted). */
export function ruleMatches(rule: FaultRule, call: AwsCall): boolean {
  if (rule.service !== undefined && rule.service !== call.service) return false;
  if (rule.action !== undefined) {
    const ok = typeof rule.action === "string" ? rule.action === call.action : rule.action.test(call.action);
    if (!ok) return false;
  }
  if (rule.calls === "mutating" && !call.mutating) return false;
  if (rule.calls === "read" && call.mutating) return false;
  return true;
}
