// `setpoint demo`: the README's first command. It starts a real
// kube-apiserver and the moto AWS emulator on loopback, installs the CRDs,
// runs the controller on the examples, changes and deletes the cloud
// resources behind its back, and shows setpoint correct and report it.
// Over 400 lines because the demo is one script read top to bottom, as a user follows its output; its
// Pulumi part is in cli/demo-pulumi.ts and `setpoint env`'s chart install in cli/env-chart.ts.
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DeleteListenerCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { GROUP as AWS_GROUP, VERSION } from "../apis/aws/v1alpha1/common.ts";
import { GROUP as PULUMI_GROUP } from "../apis/pulumi/v1alpha1/pulumistack.ts";
import type { Managed } from "../controller/api/index.ts";
import { kubeClients, Manager } from "../controller/manager/index.ts";
import { createLogger } from "../controller/ops/logger.ts";
import { type Environment, startEnvironment } from "../controlplane/env.ts";
import { EMULATOR_CREDENTIALS, SEED_REGION } from "../localstack/seed.ts";
import { AWS } from "../providers/index.ts";
import { applyObjects, readManifests } from "./apply.ts";
import { type DemoPulumi, STACK as PULUMI_STACK, STACK_FILE, startDemoPulumi } from "./demo-pulumi.ts";
import { renderDriftTable, toDriftRow } from "./drift-table.ts";
import { type ChartInstall, installChart } from "./env-chart.ts";
import { installCrds } from "./install-crds.ts";
import { loadKubeConfig } from "./kubeconfig.ts";

const EXAMPLES = fileURLToPath(new URL("../examples/", import.meta.url));
const NAMESPACE = "demo";
const DB = "orders-db";
const LB = "web";
/** examples/stack/: its namespace, and its objects by plural, referrers first. */
const STACK_NAMESPACE = "shop";
const STACK: readonly [plural: string, name: string][] = [
  ["loadbalancers", "storefront"],
  ["sqlinstances", "orders"],
  ["securitygroups", "web"],
  ["securitygroups", "db"],
  ["dbsubnetgroups", "db"],
];

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = "") => process.stdout.write(`${s}\n`);
const step = (n: number, of: number, s: string) => say(`\n${bold(`[${n}/${of}] ${s}`)}`);

const groupOf = (plural: string) => (plural === "pulumistacks" ? PULUMI_GROUP : AWS_GROUP);

class DemoObjects {
  readonly #api: CustomObjectsApi;
  readonly #core: CoreV1Api;
  constructor(kc: KubeConfig) {
    this.#api = kc.makeApiClient(CustomObjectsApi);
    this.#core = kc.makeApiClient(CoreV1Api);
  }

  async get(plural: string, name: string, namespace = NAMESPACE): Promise<Managed | undefined> {
    try {
      return (await this.#api.getNamespacedCustomObject({
        group: groupOf(plural),
        version: VERSION,
        namespace,
        plural,
        name,
      })) as Managed;
    } catch {
      return undefined;
    }
  }

  async list(plural: string, namespace = NAMESPACE): Promise<Managed[]> {
    const list = (await this.#api.listNamespacedCustomObject({
      group: groupOf(plural),
      version: VERSION,
      namespace,
      plural,
    })) as {
      items: Managed[];
    };
    return list.items;
  }

  async delete(plural: string, name: string, namespace = NAMESPACE): Promise<void> {
    await this.#api
      .deleteNamespacedCustomObject({ group: groupOf(plural), version: VERSION, namespace, plural, name })
      .catch(() => {});
  }

  async events(name: string, namespace = NAMESPACE): Promise<string[]> {
    const list = await this.#core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items
      .sort((a, b) => String(a.lastTimestamp ?? "").localeCompare(String(b.lastTimestamp ?? "")))
      .map((e) => `${(e.type ?? "").padEnd(7)} ${(e.reason ?? "").padEnd(26)} ${e.message ?? ""}`);
  }

  async secretKeys(name: string): Promise<string[]> {
    const s = await this.#core.readNamespacedSecret({ name, namespace: NAMESPACE }).catch(() => undefined);
    return Object.keys(s?.data ?? {}).sort();
  }
}

async function until<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const cond = (mr: Managed | undefined, type: string) => mr?.status?.conditions?.find((c) => c.type === type);

/** Waits for a drift to be detected and corrected, printing what the status said on the way. */
async function watchCorrection(
  objects: DemoObjects,
  plural: string,
  name: string,
  counter: "corrections" | "recreations",
) {
  const before = (await objects.get(plural, name))?.status?.drift?.[counter] ?? 0;
  const eventsBefore = new Set(await objects.events(name));
  const t0 = Date.now();
  let shownDrift = false;
  const mr = await until(
    `${name} to be corrected`,
    async () => {
      const m = await objects.get(plural, name);
      const drifted = cond(m, "Drifted");
      if (!shownDrift && drifted?.status === "True") {
        shownDrift = true;
        say(`    status: Drifted=True (${drifted.reason})`);
        for (const f of m?.status?.drift?.fields ?? [])
          say(`      ${f.path}: desired ${f.desired}, observed ${f.observed}`);
      }
      return m;
    },
    (m) => (m?.status?.drift?.[counter] ?? 0) > before && cond(m, "Ready")?.status === "True",
  );
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  for (const line of await objects.events(name)) if (!eventsBefore.has(line)) say(`    event: ${line}`);
  const last = mr?.status?.drift?.history?.[0];
  say(
    `    status: Drifted=${cond(mr, "Drifted")?.status}, ${counter}=${mr?.status?.drift?.[counter]}, last: ${last?.action} ${last?.fields.join(", ")} (${seconds}s after the change)`,
  );
}

function printTable(rows: Managed[]) {
  for (const line of renderDriftTable(rows.map(toDriftRow)).trimEnd().split("\n")) say(`    ${line}`);
}

export async function runDemo(opts: { keep?: boolean }): Promise<void> {
  const started = Date.now();
  const STEPS = 8;
  say(bold("setpoint demo: a real kube-apiserver, the moto AWS emulator, and drift being corrected"));
  step(
    1,
    STEPS,
    "Preparing kube-apiserver, etcd and moto (the first run builds them; later runs reuse the cache)",
  );
  const env: Environment = await startEnvironment((line) => say(`    ${line}`));
  let manager: Manager | undefined;
  let pulumi: DemoPulumi | undefined;
  const cleanup = async () => {
    await manager?.stop();
    await pulumi?.stop();
    await env.stop();
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    step(2, STEPS, `Local control plane at ${env.kube.server}, AWS emulator at ${env.moto.endpoint}`);
    say(`    KUBECONFIG=${env.kube.kubeconfigPath}`);
    const kc = loadKubeConfig(env.kube.kubeconfigPath);

    step(3, STEPS, "Installing the CRDs and a ProviderConfig for the emulator");
    for (const name of await installCrds(kc)) say(`    crd/${name}`);
    await applyEmulatorProviderConfig(kc, env.moto.endpoint);
    say(`    providerconfig/default → ${env.moto.endpoint} (examples/providerconfig.yaml)`);

    const aws = {
      region: SEED_REGION,
      endpoint: env.moto.endpoint,
      credentials: { ...EMULATOR_CREDENTIALS },
    };
    step(
      4,
      STEPS,
      "Starting the controller (steady poll 5s for the demo; the default is 60s, 10m for Pulumi)",
    );
    say("    Pulumi: the CLI from controlplane/tools.ts (the first run builds it, about 8 minutes)");
    pulumi = await startDemoPulumi(say, aws);
    if (pulumi.missing)
      say(`    NO PulumiStack in this demo: ${pulumi.missing}. Going on with the native kinds.`);
    const withPulumi = pulumi.missing === undefined;
    manager = new Manager({
      kube: kubeClients(kc),
      kinds: [...AWS.kinds, ...pulumi.kinds],
      log: createLogger({ level: process.env.SETPOINT_LOG_LEVEL ?? "error" }),
      poll: { steadyMs: 5000, convergingMs: 1000, minMs: 500 },
      terminalRetryMs: 10_000,
      metricsAddress: "127.0.0.1:0",
    });
    await manager.start();
    say(`    leading; metrics at http://${manager.address}/metrics`);

    const files = ["sqlinstance.yaml", "loadbalancer.yaml", ...(withPulumi ? [STACK_FILE] : [])];
    step(5, STEPS, `Applying ${files.map((f) => `examples/${f}`).join(", ")}`);
    const objects = new DemoObjects(kc);
    for (const file of files) await applyObjects(kc, await readManifests(`${EXAMPLES}${file}`));
    const all = async () => [
      ...(await objects.list("sqlinstances")),
      ...(await objects.list("loadbalancers")),
      ...(withPulumi ? await objects.list("pulumistacks") : []),
    ];
    await until(
      `all ${files.length} resources to be Ready`,
      all,
      (list) =>
        list.length === files.length &&
        list.every((m) => cond(m, "Ready")?.status === "True" && cond(m, "Synced")?.status === "True"),
      180_000,
    );
    printTable(await all());
    const db = await objects.get("sqlinstances", DB);
    const lb = await objects.get("loadbalancers", LB);
    const dbId = db?.metadata.annotations?.["setpoint.dev/external-name"] ?? "";
    say(
      `    RDS instance ${dbId} at ${JSON.stringify((db?.status?.atProvider as { endpoint?: unknown })?.endpoint)}`,
    );
    say(`    load balancer ${(lb?.status?.atProvider as { dnsName?: string })?.dnsName}`);
    say(
      `    connection secret ${DB}-connection keys: ${(await objects.secretKeys(`${DB}-connection`)).join(", ")}`,
    );

    step(
      6,
      STEPS,
      "Applying examples/stack/ in one go: the resources that refer first, what they refer to last",
    );
    await applyStack(kc, objects);

    step(7, STEPS, "Changing the cloud behind setpoint's back");
    const rds = new RDSClient(aws);
    const elb = new ElasticLoadBalancingV2Client(aws);

    say("  - RDS: allocatedStorage 20 → 30 (ModifyDBInstance, as someone in the console would)");
    await rds.send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: dbId,
        AllocatedStorage: 30,
        ApplyImmediately: true,
      }),
    );
    await watchCorrection(objects, "sqlinstances", DB, "corrections");
    const storage = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbId })))
      .DBInstances?.[0]?.AllocatedStorage;
    say(`    cloud: AllocatedStorage=${storage}`);

    say("  - RDS: the instance is deleted (DeleteDBInstance)");
    await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: dbId, SkipFinalSnapshot: true }));
    await watchCorrection(objects, "sqlinstances", DB, "recreations");

    const lbArn = (lb?.status?.atProvider as { arn?: string })?.arn ?? "";
    say("  - LoadBalancer: idle_timeout.timeout_seconds 60 → 300 (ModifyLoadBalancerAttributes)");
    await elb.send(
      new ModifyLoadBalancerAttributesCommand({
        LoadBalancerArn: lbArn,
        Attributes: [{ Key: "idle_timeout.timeout_seconds", Value: "300" }],
      }),
    );
    await watchCorrection(objects, "loadbalancers", LB, "corrections");

    const listenerArn = (
      lb?.status?.atProvider as { listeners?: { port: number; arn: string }[] }
    )?.listeners?.find((l) => l.port === 80)?.arn;
    say("  - LoadBalancer: the port 80 listener is deleted (DeleteListener)");
    if (listenerArn) await elb.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    await watchCorrection(objects, "loadbalancers", LB, "corrections");

    if (withPulumi) {
      say("  - PulumiStack: the bucket's versioning Enabled → Suspended (PutBucketVersioning)");
      await pulumi.changeBehindTheBack();
      await watchCorrection(objects, "pulumistacks", PULUMI_STACK, "corrections");
    }

    step(8, STEPS, "The drift report");
    say("  $ setpoint drift -n demo");
    printTable(await all());
    say(`\n  $ kubectl get sqlinstance ${DB} -n demo -o jsonpath='{.status.drift}'`);
    const drift = (await objects.get("sqlinstances", DB))?.status?.drift;
    for (const line of stringify(drift).trimEnd().split("\n")) say(`    ${line}`);
    say(`\n  $ kubectl get loadbalancer ${LB} -n demo -o jsonpath='{.status.drift.history}'`);
    const lbHistory = (await objects.get("loadbalancers", LB))?.status?.drift?.history;
    for (const line of stringify(lbHistory).trimEnd().split("\n")) say(`    ${line}`);
    say(`\n  $ kubectl get events -n demo --field-selector involvedObject.name=${DB}`);
    for (const line of await objects.events(DB)) say(`    ${line}`);
    say(
      `\n  corrections: ${await manager.metrics.total("setpoint_drift_corrected_total")}, recreations: ${await manager.metrics.total("setpoint_external_resources_recreated_total")} (from /metrics)`,
    );

    if (opts.keep) {
      say(
        `\nThe environment keeps running. export KUBECONFIG=${env.kube.kubeconfigPath}; AWS endpoint ${env.moto.endpoint}. Ctrl-C stops it.`,
      );
      await new Promise(() => {});
    }
    say(
      `\n${bold("Cleaning up")}: deleting the custom resources; setpoint deletes the cloud resources first`,
    );
    await objects.delete("sqlinstances", DB);
    await objects.delete("loadbalancers", LB);
    if (withPulumi) await objects.delete("pulumistacks", PULUMI_STACK);
    // All at once: a security group or subnet group waits in the cloud until nothing refers to it.
    for (const [plural, name] of STACK) await objects.delete(plural, name, STACK_NAMESPACE);
    await until(
      "the custom resources to be gone",
      async () => [
        ...(await all()),
        ...(await Promise.all(STACK.map(([plural, name]) => objects.get(plural, name, STACK_NAMESPACE)))),
      ],
      (list) => list.every((m) => m === undefined),
      180_000,
    );
    const left = (await rds.send(new DescribeDBInstancesCommand({}))).DBInstances?.length ?? 0;
    say(`    RDS instances left in the emulator: ${left}`);
    say(
      `\n${bold(`Demo finished in ${Math.round((Date.now() - started) / 1000)}s.`)} Next: \`npm test\` runs every test.`,
    );
  } finally {
    await cleanup();
  }
}

/** Applies examples/stack/ at once and shows the referrers wait for, then take, what they refer to. */
async function applyStack(kc: KubeConfig, objects: DemoObjects): Promise<void> {
  const manifests = await readManifests(`${EXAMPLES}stack/stack.yaml`);
  await applyObjects(kc, manifests);
  say(`    $ kubectl apply -f examples/stack/   (${manifests.length} objects)`);
  const all = () => Promise.all(STACK.map(([plural, name]) => objects.get(plural, name, STACK_NAMESPACE)));
  const stack = await until("the stack to be Ready", all, (list) =>
    list.every((m) => cond(m, "Ready")?.status === "True" && cond(m, "Synced")?.status === "True"),
  );
  for (const name of ["orders", "storefront"]) {
    const waited = (await objects.events(name, STACK_NAMESPACE)).filter((e) =>
      /CannotResolveResourceReferences|ResolvedReferences/.test(e),
    );
    for (const line of waited) say(`    event ${STACK_NAMESPACE}/${name}: ${line}`);
  }
  printTable(stack.filter((m): m is Managed => m !== undefined));
  const [lb, db] = stack;
  const fp = (db?.spec.forProvider ?? {}) as { dbSubnetGroupName?: string; vpcSecurityGroupIds?: string[] };
  say(
    `    SqlInstance ${STACK_NAMESPACE}/orders: dbSubnetGroupName=${fp.dbSubnetGroupName}, vpcSecurityGroupIds=${fp.vpcSecurityGroupIds?.join(",")}`,
  );
  say(
    `    LoadBalancer ${STACK_NAMESPACE}/storefront: securityGroups=${((lb?.spec.forProvider ?? {}) as { securityGroups?: string[] }).securityGroups?.join(",")}`,
  );
}

function withEndpoint(obj: KubernetesObject, endpoint: string): KubernetesObject {
  const pc = obj as KubernetesObject & { spec: Record<string, unknown> };
  return { ...pc, spec: { ...pc.spec, endpoint } } as KubernetesObject;
}

/**
 * Applies examples/providerconfig.yaml (its namespace, the emulator's credentials Secret and the
 * ProviderConfig `default`) with spec.endpoint set to the emulator that was started, so a user need
 * not edit the port in by hand.
 */
export async function applyEmulatorProviderConfig(kc: KubeConfig, endpoint: string): Promise<void> {
  const objects = await readManifests(`${EXAMPLES}providerconfig.yaml`);
  await applyObjects(
    kc,
    objects.map((o) => (o.kind === "ProviderConfig" ? withEndpoint(o, endpoint) : o)),
  );
}

/** What `setpoint env` prints once everything is up: where things are and the next commands. */
function envUsage(env: {
  kubeconfigPath: string;
  server: string;
  awsEndpoint: string;
  chart?: ChartInstall;
}): string {
  const examples = relative(process.cwd(), EXAMPLES) || ".";
  const credentials = `AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey} AWS_DEFAULT_REGION=${SEED_REGION}`;
  const steps: [string, string][] = [
    ["npm run setpoint -- run", "the controller"],
    [
      `kubectl apply -f ${join(examples, "sqlinstance.yaml")}`,
      `a SqlInstance (or ${join(examples, "loadbalancer.yaml")})`,
    ],
    ["kubectl get sqlinstances -A -w", "watch it become Ready"],
    ["npm run setpoint -- drift -A", "the drift report"],
  ];
  const width = Math.max(...steps.map(([command]) => command.length));
  return [
    "The local environment is up:",
    `  kube-apiserver  ${env.server} (setpoint's CRDs installed)`,
    `  AWS emulator    ${env.awsEndpoint} (moto, seeded with the network that ${examples}/ refers to)`,
    `  ProviderConfig  default → ${env.awsEndpoint}, credentials in Secret setpoint-system/aws-emulator-credentials`,
    ...chartUsage(env.chart),
    "",
    "In another shell:",
    `  export KUBECONFIG=${env.kubeconfigPath}`,
    ...steps.map(([command, what]) => `  ${command.padEnd(width)}  # ${what}`),
    `  ${credentials} aws --endpoint-url ${env.awsEndpoint} rds describe-db-instances`,
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n");
}

/** The chart's lines in the usage: what was installed, or why not; nothing when it was not asked for. */
function chartUsage(chart: ChartInstall | undefined): string[] {
  if (!chart) return [];
  if (!chart.installed) return [`  Helm chart      NOT installed: ${chart.reason}`];
  return [
    `  Helm chart      release ${chart.release} in namespace ${chart.namespace} (${chart.helm})`,
    `                  ${chart.summary}`,
    "                  There is no kubelet here, so its pods do not start: run the controller as below.",
  ];
}

/** `setpoint env`: the local control plane and emulator, for trying things by hand. */
export async function runEnv(opts: { chart?: boolean } = {}): Promise<void> {
  const env = await startEnvironment((line) => say(`    ${line}`));
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  try {
    const kc = loadKubeConfig(env.kube.kubeconfigPath);
    await installCrds(kc);
    await applyEmulatorProviderConfig(kc, env.moto.endpoint);
    const chart = opts.chart
      ? await installChart(env.kube.kubeconfigPath, (line) => say(`    ${line}`))
      : undefined;
    process.stdout.write(
      envUsage({
        kubeconfigPath: env.kube.kubeconfigPath,
        server: env.kube.server,
        awsEndpoint: env.moto.endpoint,
        chart,
      }),
    );
    await stopped;
  } finally {
    await env.stop();
  }
}
