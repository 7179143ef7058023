// The spec guard: what is wrong with a LoadBalancer spec that the CRD's CEL
// rules should already have rejected. It mirrors those rules.
import type { LoadBalancerForProvider } from "../../../../apis/aws/v1alpha1/loadbalancer.ts";

/**
 * What is wrong with a spec that the API server should have rejected. The
 * provider checks it too, because a CRD installed without its CEL rules (or
 * an old API server) must not lead to half-built load balancers.
 */
export function specProblems(fp: LoadBalancerForProvider): string[] {
  const problems: string[] = [];
  const tgs = fp.targetGroups ?? [];
  const listeners = fp.listeners ?? [];
  if (fp.type === "application" && fp.subnets.length < 2) {
    problems.push("an application load balancer needs at least two subnets, in two Availability Zones");
  }
  if (fp.type !== "application" && (fp.securityGroups?.length ?? 0) > 0) {
    problems.push("securityGroups are supported only for application load balancers");
  }
  const tgNames = new Set<string>();
  for (const tg of tgs) {
    if (tgNames.has(tg.name)) problems.push(`target group name ${JSON.stringify(tg.name)} is used twice`);
    tgNames.add(tg.name);
    const lambda = tg.targetType === "lambda";
    if (lambda && (tg.protocol !== undefined || tg.port !== undefined || tg.vpcId !== undefined)) {
      problems.push(
        `target group ${JSON.stringify(tg.name)}: protocol, port and vpcId must be left out for lambda`,
      );
    }
    if (!lambda && (tg.protocol === undefined || tg.port === undefined)) {
      problems.push(`target group ${JSON.stringify(tg.name)}: protocol and port are required`);
    }
  }
  const ports = new Set<number>();
  for (const l of listeners) {
    const where = `listener on port ${l.port}`;
    if (ports.has(l.port)) problems.push(`${where} is defined twice`);
    ports.add(l.port);
    const layer7 = l.protocol === "HTTP" || l.protocol === "HTTPS";
    if (fp.type === "application" && !layer7) {
      problems.push(`${where}: application load balancers take HTTP and HTTPS listeners only`);
    }
    if (fp.type === "network" && layer7) {
      problems.push(`${where}: network load balancers take TCP, TLS, UDP and TCP_UDP listeners only`);
    }
    const secure = l.protocol === "HTTPS" || l.protocol === "TLS";
    if (secure && l.certificateArn === undefined)
      problems.push(`${where}: ${l.protocol} needs certificateArn`);
    if (!secure && (l.certificateArn !== undefined || l.sslPolicy !== undefined)) {
      problems.push(`${where}: certificateArn and sslPolicy are only for HTTPS and TLS`);
    }
    const a = l.defaultAction;
    if (a.type === "forward") {
      if (a.targetGroupName === undefined || a.fixedResponse !== undefined) {
        problems.push(`${where}: a forward action needs targetGroupName (only)`);
      } else if (!tgNames.has(a.targetGroupName)) {
        problems.push(`${where}: forwards to unknown target group ${JSON.stringify(a.targetGroupName)}`);
      }
    } else {
      if (a.fixedResponse === undefined || a.targetGroupName !== undefined) {
        problems.push(`${where}: a fixed-response action needs fixedResponse (only)`);
      }
      if (fp.type !== "application") {
        problems.push(`${where}: fixed-response actions are supported only by application load balancers`);
      }
    }
  }
  return problems;
}
