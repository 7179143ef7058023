// An in-memory ELBv2 for unit tests of LoadBalancerClient: enough of the API
// to create, describe, change and delete load balancers, target groups and
// listeners, with AWS's all-or-nothing "not found" errors and a call log.
import type { Listener, LoadBalancer, TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Elbv2Api } from "./api.ts";

export function awsError(code: string, message = code): Error {
  return Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: 400 } });
}

export class FakeElb implements Elbv2Api {
  readonly lbs = new Map<string, LoadBalancer>();
  readonly tgs = new Map<string, TargetGroup>();
  readonly listeners = new Map<string, Listener>();
  readonly tags = new Map<string, Record<string, string>>();
  readonly attrs = new Map<string, Record<string, string>>();
  readonly calls: { op: string; input: unknown }[] = [];
  /** Errors to throw once for an operation, e.g. { deleteTargetGroup: awsError("ResourceInUseException") }. */
  readonly failOnce: Partial<Record<keyof Elbv2Api, Error>> = {};
  #seq = 0;

  ops(): string[] {
    return this.calls.map((c) => c.op);
  }
  count(op: keyof Elbv2Api): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  #log(op: keyof Elbv2Api, input: unknown) {
    this.calls.push({ op, input });
    const err = this.failOnce[op];
    if (err) {
      delete this.failOnce[op];
      throw err;
    }
  }
  #id() {
    return (++this.#seq).toString(16).padStart(8, "0");
  }
  #out<T>(o: T) {
    return { ...o, $metadata: {} };
  }

  /** Seeds a load balancer as if created earlier (e.g. by a create whose response was lost). */
  addLoadBalancer(name: string, tags: Record<string, string>, extra: Partial<LoadBalancer> = {}): string {
    const id = this.#id();
    const arn = `arn:lb/${name}/${id}`;
    this.lbs.set(arn, {
      LoadBalancerArn: arn,
      LoadBalancerName: name,
      // In creation order, as AWS reports it.
      CreatedTime: new Date(Date.UTC(2024, 0, 1) + Number.parseInt(id, 16) * 1000),
      DNSName: `${name}.elb.example`,
      VpcId: "vpc-1",
      State: { Code: "active" },
      Type: "application",
      Scheme: "internet-facing",
      IpAddressType: "ipv4",
      AvailabilityZones: [{ SubnetId: "subnet-01" }, { SubnetId: "subnet-02" }],
      SecurityGroups: [],
      ...extra,
    });
    this.tags.set(arn, { ...tags });
    this.attrs.set(arn, { "deletion_protection.enabled": "false", "idle_timeout.timeout_seconds": "60" });
    return arn;
  }
  addTargetGroup(name: string, tags: Record<string, string>, extra: Partial<TargetGroup> = {}): string {
    const arn = `arn:tg/${name}/${this.#id()}`;
    this.tgs.set(arn, {
      TargetGroupArn: arn,
      TargetGroupName: name,
      Protocol: "HTTP",
      Port: 80,
      TargetType: "instance",
      VpcId: "vpc-1",
      HealthCheckPath: "/",
      ...extra,
    });
    this.tags.set(arn, { ...tags });
    return arn;
  }
  addListener(lbArn: string, port: number, tgArn: string, tags: Record<string, string> = {}): string {
    const arn = `arn:listener/${port}/${this.#id()}`;
    this.listeners.set(arn, {
      ListenerArn: arn,
      LoadBalancerArn: lbArn,
      Port: port,
      Protocol: "HTTP",
      DefaultActions: [{ Type: "forward", TargetGroupArn: tgArn }],
    });
    this.tags.set(arn, { ...tags });
    return arn;
  }

  async describeLoadBalancers(input: Parameters<Elbv2Api["describeLoadBalancers"]>[0]) {
    this.#log("describeLoadBalancers", input);
    const all = [...this.lbs.values()];
    if (!input.Names) {
      const start = input.Marker ? Number(input.Marker) : 0;
      const end = start + (input.PageSize ?? 400);
      return this.#out({
        LoadBalancers: all.slice(start, end),
        ...(end < all.length ? { NextMarker: String(end) } : {}),
      });
    }
    // Like moto, a name held twice shows its newest holder only.
    const found = input.Names.map((n) => all.findLast((lb) => lb.LoadBalancerName === n));
    if (found.some((f) => !f)) throw awsError("LoadBalancerNotFoundException");
    return this.#out({ LoadBalancers: found as LoadBalancer[] });
  }
  async describeTags(input: Parameters<Elbv2Api["describeTags"]>[0]) {
    this.#log("describeTags", input);
    const arns = input.ResourceArns ?? [];
    if (arns.length > 20) throw awsError("ValidationError", "too many ARNs");
    if (arns.some((a) => !this.tags.has(a))) throw awsError("TargetGroupNotFoundException");
    return this.#out({
      TagDescriptions: arns.map((a) => ({
        ResourceArn: a,
        Tags: Object.entries(this.tags.get(a)!).map(([Key, Value]) => ({ Key, Value })),
      })),
    });
  }
  async describeLoadBalancerAttributes(input: Parameters<Elbv2Api["describeLoadBalancerAttributes"]>[0]) {
    this.#log("describeLoadBalancerAttributes", input);
    const a = this.attrs.get(input.LoadBalancerArn!);
    if (!a) throw awsError("LoadBalancerNotFoundException");
    return this.#out({ Attributes: Object.entries(a).map(([Key, Value]) => ({ Key, Value })) });
  }
  async describeTargetGroups(input: Parameters<Elbv2Api["describeTargetGroups"]>[0]) {
    this.#log("describeTargetGroups", input);
    const all = [...this.tgs.values()];
    if (!input.Names) return this.#out({ TargetGroups: all });
    const found = input.Names.map((n) => all.find((t) => t.TargetGroupName === n));
    if (found.some((f) => !f)) throw awsError("TargetGroupNotFoundException");
    return this.#out({ TargetGroups: found as TargetGroup[] });
  }
  async describeListeners(input: Parameters<Elbv2Api["describeListeners"]>[0]) {
    this.#log("describeListeners", input);
    if (input.ListenerArns) {
      const found = input.ListenerArns.map((a) => this.listeners.get(a));
      if (found.some((f) => !f)) throw awsError("ListenerNotFoundException");
      return this.#out({ Listeners: found as Listener[] });
    }
    if (!this.lbs.has(input.LoadBalancerArn!)) throw awsError("LoadBalancerNotFoundException");
    return this.#out({
      Listeners: [...this.listeners.values()].filter((l) => l.LoadBalancerArn === input.LoadBalancerArn),
    });
  }
  async createLoadBalancer(input: Parameters<Elbv2Api["createLoadBalancer"]>[0]) {
    this.#log("createLoadBalancer", input);
    const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
    const arn = this.addLoadBalancer(input.Name!, tags, {
      State: { Code: "provisioning" },
      Type: input.Type ?? "application",
      Scheme: input.Scheme ?? "internet-facing",
      AvailabilityZones: (input.Subnets ?? []).map((s) => ({ SubnetId: s })),
      SecurityGroups: input.SecurityGroups ?? ["sg-default"],
    });
    return this.#out({ LoadBalancers: [this.lbs.get(arn)!] });
  }
  async createTargetGroup(input: Parameters<Elbv2Api["createTargetGroup"]>[0]) {
    this.#log("createTargetGroup", input);
    if ([...this.tgs.values()].some((t) => t.TargetGroupName === input.Name)) {
      throw awsError("DuplicateTargetGroupNameException");
    }
    const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
    const arn = this.addTargetGroup(input.Name!, tags, {
      Protocol: input.Protocol,
      Port: input.Port,
      TargetType: input.TargetType,
      VpcId: input.VpcId,
      HealthCheckPath: input.HealthCheckPath ?? "/",
    });
    return this.#out({ TargetGroups: [this.tgs.get(arn)!] });
  }
  async createListener(input: Parameters<Elbv2Api["createListener"]>[0]) {
    this.#log("createListener", input);
    const tags = Object.fromEntries((input.Tags ?? []).map((t) => [t.Key!, t.Value ?? ""]));
    const arn = `arn:listener/${input.Port}/${this.#id()}`;
    this.listeners.set(arn, {
      ListenerArn: arn,
      LoadBalancerArn: input.LoadBalancerArn,
      Port: input.Port,
      Protocol: input.Protocol,
      DefaultActions: input.DefaultActions,
    });
    this.tags.set(arn, tags);
    return this.#out({ Listeners: [this.listeners.get(arn)!] });
  }
  async setSubnets(input: Parameters<Elbv2Api["setSubnets"]>[0]) {
    this.#log("setSubnets", input);
    this.lbs.get(input.LoadBalancerArn!)!.AvailabilityZones = (input.Subnets ?? []).map((s) => ({
      SubnetId: s,
    }));
    return {};
  }
  async setSecurityGroups(input: Parameters<Elbv2Api["setSecurityGroups"]>[0]) {
    this.#log("setSecurityGroups", input);
    this.lbs.get(input.LoadBalancerArn!)!.SecurityGroups = input.SecurityGroups;
    return {};
  }
  async setIpAddressType(input: Parameters<Elbv2Api["setIpAddressType"]>[0]) {
    this.#log("setIpAddressType", input);
    this.lbs.get(input.LoadBalancerArn!)!.IpAddressType = input.IpAddressType;
    return {};
  }
  async modifyLoadBalancerAttributes(input: Parameters<Elbv2Api["modifyLoadBalancerAttributes"]>[0]) {
    this.#log("modifyLoadBalancerAttributes", input);
    const a = this.attrs.get(input.LoadBalancerArn!)!;
    for (const { Key, Value } of input.Attributes ?? []) a[Key!] = Value ?? "";
    return {};
  }
  async modifyTargetGroup(input: Parameters<Elbv2Api["modifyTargetGroup"]>[0]) {
    this.#log("modifyTargetGroup", input);
    const tg = this.tgs.get(input.TargetGroupArn!)!;
    if (input.HealthCheckPath) tg.HealthCheckPath = input.HealthCheckPath;
    return {};
  }
  async modifyListener(input: Parameters<Elbv2Api["modifyListener"]>[0]) {
    this.#log("modifyListener", input);
    const l = this.listeners.get(input.ListenerArn!)!;
    if (input.Protocol) l.Protocol = input.Protocol;
    if (input.DefaultActions) l.DefaultActions = input.DefaultActions;
    return {};
  }
  async addTags(input: Parameters<Elbv2Api["addTags"]>[0]) {
    this.#log("addTags", input);
    for (const arn of input.ResourceArns ?? []) {
      const t = this.tags.get(arn)!;
      for (const { Key, Value } of input.Tags ?? []) t[Key!] = Value ?? "";
    }
    return {};
  }
  async removeTags(input: Parameters<Elbv2Api["removeTags"]>[0]) {
    this.#log("removeTags", input);
    for (const arn of input.ResourceArns ?? []) {
      const t = this.tags.get(arn)!;
      for (const k of input.TagKeys ?? []) delete t[k];
    }
    return {};
  }
  async deleteListener(input: Parameters<Elbv2Api["deleteListener"]>[0]) {
    this.#log("deleteListener", input);
    if (!this.listeners.delete(input.ListenerArn!)) throw awsError("ListenerNotFoundException");
    this.tags.delete(input.ListenerArn!);
    return {};
  }
  async deleteLoadBalancer(input: Parameters<Elbv2Api["deleteLoadBalancer"]>[0]) {
    this.#log("deleteLoadBalancer", input);
    const arn = input.LoadBalancerArn!;
    if (this.attrs.get(arn)?.["deletion_protection.enabled"] === "true") {
      throw awsError("OperationNotPermittedException", "deletion protection is on");
    }
    this.lbs.delete(arn);
    this.tags.delete(arn);
    this.attrs.delete(arn);
    for (const [la, l] of this.listeners) if (l.LoadBalancerArn === arn) this.listeners.delete(la);
    return {};
  }
  async deleteTargetGroup(input: Parameters<Elbv2Api["deleteTargetGroup"]>[0]) {
    this.#log("deleteTargetGroup", input);
    const arn = input.TargetGroupArn!;
    if (!this.tgs.has(arn)) throw awsError("TargetGroupNotFoundException");
    const inUse = [...this.listeners.values()].some((l) =>
      l.DefaultActions?.some((a) => a.TargetGroupArn === arn),
    );
    if (inUse) throw awsError("ResourceInUseException");
    this.tgs.delete(arn);
    this.tags.delete(arn);
    return {};
  }
}
