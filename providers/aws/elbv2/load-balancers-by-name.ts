// Finding load balancers by name when one name may be held twice. AWS keeps
// names unique per account and region, but moto does not, and there
// DescribeLoadBalancers({ Names }) shows only the newest of the two: a
// duplicate would stay invisible while its twin reports Ready. So load
// balancers are listed, 400 to a page, and matched by name. Accounts hold
// few of them (the default quota is 50 per region), so one page usually
// covers every name at once, where Names takes one call per 20.
import type { LoadBalancer as SdkLoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Elbv2Api } from "./api.ts";

/** DescribeLoadBalancers' largest page. */
export const LIST_PAGE_SIZE = 400;

/** Every load balancer carrying one of `names`, grouped by name; no call when `names` is empty. */
export async function loadBalancersByName(
  api: Elbv2Api,
  names: readonly string[],
): Promise<Map<string, SdkLoadBalancer[]>> {
  const wanted = new Set(names);
  const out = new Map<string, SdkLoadBalancer[]>();
  if (wanted.size === 0) return out;
  let marker: string | undefined;
  // moto's markers are names, so with a name held twice a marker can come round again.
  const seen = new Set<string>();
  do {
    const page = await api.describeLoadBalancers({
      PageSize: LIST_PAGE_SIZE,
      ...(marker ? { Marker: marker } : {}),
    });
    for (const lb of page.LoadBalancers ?? []) {
      const name = lb.LoadBalancerName;
      if (name === undefined || !wanted.has(name)) continue;
      const held = out.get(name) ?? [];
      if (!held.some((h) => h.LoadBalancerArn === lb.LoadBalancerArn)) out.set(name, [...held, lb]);
    }
    marker = page.NextMarker;
    if (marker !== undefined && seen.has(marker)) {
      throw new Error(`DescribeLoadBalancers returned the page marker ${marker} twice; listing stopped`);
    }
    if (marker !== undefined) seen.add(marker);
  } while (marker);
  return out;
}

/**
 * Which of several load balancers with one name is the resource's: the one
 * whose ARN status recorded, else the oldest (the first create; a re-sent one
 * comes later). The rest are duplicates.
 */
export function primaryAndDuplicates(
  lbs: readonly SdkLoadBalancer[],
  recordedArn: string | undefined,
): { primary: SdkLoadBalancer; duplicates: SdkLoadBalancer[] } {
  if (lbs.length === 0) throw new Error("primaryAndDuplicates needs at least one load balancer");
  const created = (lb: SdkLoadBalancer) => lb.CreatedTime?.getTime() ?? Number.POSITIVE_INFINITY;
  const ordered = [...lbs].sort(
    (a, b) =>
      Number(b.LoadBalancerArn === recordedArn) - Number(a.LoadBalancerArn === recordedArn) ||
      created(a) - created(b) ||
      (a.LoadBalancerArn ?? "").localeCompare(b.LoadBalancerArn ?? ""),
  );
  const [primary, ...duplicates] = ordered as [SdkLoadBalancer, ...SdkLoadBalancer[]];
  return { primary, duplicates };
}
