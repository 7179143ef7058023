// The --cloud-budget flag: per-service overrides of the cloud-call budget.

/** "rds=10/100,elbv2=8/20": calls per second and burst, per service. */
export function parseCloudBudget(text: string): Record<string, { ratePerSecond: number; burst: number }> {
  const out: Record<string, { ratePerSecond: number; burst: number }> = {};
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([a-z0-9-]+)=([0-9.]+)\/([0-9]+)$/.exec(part);
    const ratePerSecond = Number(m?.[2]);
    const burst = Number(m?.[3]);
    if (!m?.[1] || !(ratePerSecond > 0) || !(burst >= 1)) {
      throw new Error(`--cloud-budget: "${part}" is not service=rate/burst, e.g. rds=10/100`);
    }
    out[m[1]] = { ratePerSecond, burst };
  }
  return out;
}
