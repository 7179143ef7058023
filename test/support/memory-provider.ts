// A provider whose "cloud" is an in-memory map that a test or benchmark can
// change behind the controller's back. It exists to exercise the engine
// against a real kube-apiserver without an AWS emulator in the way; it is
// not a fake of AWS and is never used by the shipped controller.
import { z } from "zod";
import { defineManagedKind, type Managed, Tags } from "../../controller/api/index.ts";
import type { ExternalClient, FieldDiff, Observation, Provider } from "../../controller/provider.ts";

export const WIDGET_GROUP = "test.setpoint.dev";

export const WidgetKind = defineManagedKind({
  group: WIDGET_GROUP,
  version: "v1alpha1",
  kind: "Widget",
  plural: "widgets",
  singular: "widget",
  description: "A test resource kept in an in-memory cloud.",
  forProvider: z.object({
    size: z.number().int().min(1).max(1000).meta({ description: "A mutable number." }),
    color: z.string().optional().meta({ description: "Late-initialized from the cloud when absent." }),
    tags: z.record(z.string(), z.string()).optional(),
  }),
  atProvider: z.object({ id: z.string().optional(), state: z.string().optional() }),
});

export interface WidgetSpec {
  size: number;
  color?: string;
  tags?: Record<string, string>;
}

export interface WidgetAtProvider {
  id?: string;
  state?: string;
}

export interface CloudWidget {
  size: number;
  color: string;
  tags: Record<string, string>;
  state: "creating" | "available" | "deleting";
}

export type Operation = "observe" | "observeMany" | "create" | "update" | "delete";

/** The in-memory cloud, with call counters and injectable failures. */
export class MemoryCloud {
  readonly items = new Map<string, CloudWidget>();
  readonly calls: Record<Operation, number> = { observe: 0, observeMany: 0, create: 0, update: 0, delete: 0 };
  /** Resolved for every update call: name and when it happened (ms). */
  readonly updates: { name: string; at: number }[] = [];
  /** Resources are "creating" for this many observations before they turn available. */
  creatingObservations = 0;
  readonly #failures = new Map<Operation, Error[]>();
  readonly #pendingCreates = new Map<string, number>();

  failNext(op: Operation, err: Error): void {
    this.#failures.set(op, [...(this.#failures.get(op) ?? []), err]);
  }

  call(op: Operation): void {
    this.calls[op]++;
    const queued = this.#failures.get(op);
    const err = queued?.shift();
    if (err) throw err;
  }

  observeOne(name: string): CloudWidget | undefined {
    const item = this.items.get(name);
    if (item?.state === "creating") {
      const left = (this.#pendingCreates.get(name) ?? 0) - 1;
      if (left <= 0) {
        item.state = "available";
        this.#pendingCreates.delete(name);
      } else this.#pendingCreates.set(name, left);
    }
    return item;
  }

  put(name: string, item: CloudWidget): void {
    this.items.set(name, item);
    if (item.state === "creating") this.#pendingCreates.set(name, this.creatingObservations);
  }

  totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }
}

export function diffWidget(spec: WidgetSpec, item: CloudWidget): FieldDiff[] {
  const diffs: FieldDiff[] = [];
  if (spec.size !== item.size)
    diffs.push({ path: "forProvider.size", desired: spec.size, observed: item.size });
  if (spec.color !== undefined && spec.color !== item.color) {
    diffs.push({ path: "forProvider.color", desired: spec.color, observed: item.color });
  }
  for (const [k, v] of Object.entries(spec.tags ?? {})) {
    if (item.tags[k] !== v)
      diffs.push({ path: `forProvider.tags["${k}"]`, desired: v, observed: item.tags[k] });
  }
  return diffs;
}

function observation(mr: Managed<WidgetSpec>, item: CloudWidget | undefined): Observation<WidgetAtProvider> {
  if (!item) return { exists: false, drift: [], ready: { status: false, reason: "Unavailable" } };
  return {
    exists: true,
    deleting: item.state === "deleting",
    drift: diffWidget(mr.spec.forProvider, item),
    atProvider: { id: externalName(mr), state: item.state },
    ready:
      item.state === "available"
        ? { status: true, reason: "Available" }
        : { status: false, reason: item.state === "creating" ? "Creating" : "Deleting" },
    inProgress: item.state !== "available",
    ownership: { owner: item.tags[Tags.owner], uid: item.tags[Tags.uid] },
    ...(mr.spec.forProvider.color === undefined ? { lateInit: { color: item.color } } : {}),
    connectionDetails: { id: externalName(mr) },
  };
}

function externalName(mr: Managed): string {
  const name = mr.metadata.annotations?.["setpoint.dev/external-name"];
  if (!name) throw new Error("external name not set");
  return name;
}

export class MemoryProvider implements Provider<WidgetSpec, WidgetAtProvider> {
  readonly cloud: MemoryCloud;

  constructor(cloud = new MemoryCloud()) {
    this.cloud = cloud;
  }

  deriveExternalName(namespace: string, name: string): string {
    return `${namespace}-${name}`;
  }

  async connectionKey(): Promise<string> {
    return "memory";
  }

  async connect(): Promise<ExternalClient<WidgetSpec, WidgetAtProvider>> {
    const cloud = this.cloud;
    return {
      async observe(mr) {
        cloud.call("observe");
        return observation(mr, cloud.observeOne(externalName(mr)));
      },
      async observeMany(mrs) {
        cloud.call("observeMany");
        return new Map(
          mrs.map((mr) => [externalName(mr), observation(mr, cloud.observeOne(externalName(mr)))]),
        );
      },
      async create(mr) {
        cloud.call("create");
        const name = externalName(mr);
        // The name is taken; whose resource it is, the engine decides.
        if (cloud.items.has(name)) return { alreadyExists: true };
        const spec = mr.spec.forProvider;
        cloud.put(name, {
          size: spec.size,
          color: spec.color ?? "grey",
          tags: {
            ...spec.tags,
            [Tags.owner]: `${mr.metadata.namespace}/${mr.metadata.name}`,
            [Tags.uid]: mr.metadata.uid ?? "",
          },
          state: cloud.creatingObservations > 0 ? "creating" : "available",
        });
        return { connectionDetails: { id: name } };
      },
      async update(mr) {
        cloud.call("update");
        const name = externalName(mr);
        const item = cloud.items.get(name);
        if (!item) throw new Error(`${name} vanished`);
        const spec = mr.spec.forProvider;
        item.size = spec.size;
        if (spec.color !== undefined) item.color = spec.color;
        Object.assign(item.tags, spec.tags);
        cloud.updates.push({ name, at: Date.now() });
        return {};
      },
      async delete(mr) {
        cloud.call("delete");
        cloud.items.delete(externalName(mr));
        return { gone: true };
      },
    };
  }
}
