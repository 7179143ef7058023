// Reads a V8 heap snapshot (written by `node --heapsnapshot-signal=SIGUSR2` or v8.writeHeapSnapshot())
// and answers the two questions the memory work needs: what the heap holds by constructor (count and
// self size), and what each field of the engine's long-lived objects keeps alive (retained size, from
// the dominator tree), e.g. Reflector.#store or Manager.#written. It is a measuring tool for bench/,
// not part of the controller.
import { readFile } from "node:fs/promises";

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapGraph {
  nodeCount: number;
  /** Per node: its type name ("object", "string", "closure", "code", ...). */
  type(i: number): string;
  /** Per node: its name, which for "object" nodes is the constructor. */
  name(i: number): string;
  selfSize: Float64Array;
  /** Outgoing edges of node i are firstEdge[i] .. firstEdge[i + 1] - 1. */
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  edgeType(e: number): string;
  edgeName(e: number): string;
  retained: Float64Array;
}

export async function readHeapSnapshot(file: string): Promise<HeapGraph> {
  const raw = JSON.parse(await readFile(file, "utf8")) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf("type");
  const nName = meta.node_fields.indexOf("name");
  const nSize = meta.node_fields.indexOf("self_size");
  const nEdges = meta.node_fields.indexOf("edge_count");
  const eType = meta.edge_fields.indexOf("type");
  const eName = meta.edge_fields.indexOf("name_or_index");
  const eTo = meta.edge_fields.indexOf("to_node");
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const nodes = raw.nodes;
  const edges = raw.edges;
  const strings = raw.strings;
  const n = nodes.length / nf;
  const m = edges.length / ef;

  const selfSize = new Float64Array(n);
  const firstEdge = new Uint32Array(n + 1);
  const edgeTo = new Uint32Array(m);
  let e = 0;
  for (let i = 0; i < n; i++) {
    selfSize[i] = nodes[i * nf + nSize] ?? 0;
    firstEdge[i] = e;
    e += nodes[i * nf + nEdges] ?? 0;
  }
  firstEdge[n] = e;
  for (let j = 0; j < m; j++) edgeTo[j] = (edges[j * ef + eTo] ?? 0) / nf;

  const type = (i: number) => nodeTypes[nodes[i * nf + nType] ?? 0] ?? "?";
  const name = (i: number) => strings[nodes[i * nf + nName] ?? 0] ?? "";
  const edgeType = (j: number) => edgeTypes[edges[j * ef + eType] ?? 0] ?? "?";
  const edgeName = (j: number) => {
    const t = edgeType(j);
    const v = edges[j * ef + eName] ?? 0;
    return t === "element" || t === "hidden" ? String(v) : (strings[v] ?? "");
  };
  const retained = retainedSizes(n, selfSize, firstEdge, edgeTo, (j) => edgeType(j) === "weak");
  return { nodeCount: n, type, name, selfSize, firstEdge, edgeTo, edgeType, edgeName, retained };
}

/**
 * Retained sizes through the dominator tree (Cooper, Harvey and Kennedy's iterative algorithm over a
 * reverse post-order from the root, node 0). Weak edges do not keep anything alive and are skipped.
 */
function retainedSizes(
  n: number,
  selfSize: Float64Array,
  firstEdge: Uint32Array,
  edgeTo: Uint32Array,
  isWeak: (e: number) => boolean,
): Float64Array {
  const UNSEEN = 0xffffffff;
  const order = new Uint32Array(n); // post-order index -> node
  const post = new Uint32Array(n).fill(UNSEEN); // node -> post-order index
  const strong = new Uint8Array(edgeTo.length);
  for (let j = 0; j < edgeTo.length; j++) strong[j] = isWeak(j) ? 0 : 1;
  // Iterative DFS for the post-order.
  const stackNode = new Uint32Array(n);
  const stackEdge = new Uint32Array(n);
  const visited = new Uint8Array(n);
  let sp = 0;
  let count = 0;
  stackNode[0] = 0;
  stackEdge[0] = firstEdge[0] ?? 0;
  visited[0] = 1;
  sp = 1;
  while (sp > 0) {
    const v = stackNode[sp - 1] ?? 0;
    const ei = stackEdge[sp - 1] ?? 0;
    if (ei < (firstEdge[v + 1] ?? 0)) {
      stackEdge[sp - 1] = ei + 1;
      if (!strong[ei]) continue;
      const w = edgeTo[ei] ?? 0;
      if (visited[w]) continue;
      visited[w] = 1;
      stackNode[sp] = w;
      stackEdge[sp] = firstEdge[w] ?? 0;
      sp++;
    } else {
      post[v] = count;
      order[count++] = v;
      sp--;
    }
  }
  // Predecessors, reachable ones only.
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (!visited[v]) continue;
    for (let j = firstEdge[v] ?? 0; j < (firstEdge[v + 1] ?? 0); j++)
      if (strong[j]) {
        const w = (edgeTo[j] ?? 0) + 1;
        predCount[w] = (predCount[w] ?? 0) + 1;
      }
  }
  for (let v = 0; v < n; v++) predCount[v + 1] = (predCount[v + 1] ?? 0) + (predCount[v] ?? 0);
  const preds = new Uint32Array(predCount[n] ?? 0);
  const fill = predCount.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (!visited[v]) continue;
    for (let j = firstEdge[v] ?? 0; j < (firstEdge[v + 1] ?? 0); j++) {
      if (!strong[j]) continue;
      const w = edgeTo[j] ?? 0;
      const at = fill[w] ?? 0;
      preds[at] = v;
      fill[w] = at + 1;
    }
  }
  // idom by post-order index.
  const idom = new Uint32Array(count).fill(UNSEEN);
  const root = post[0] ?? 0;
  idom[root] = root;
  const intersect = (a: number, b: number) => {
    let x = a;
    let y = b;
    while (x !== y) {
      while (x < y) x = idom[x] ?? root;
      while (y < x) y = idom[y] ?? root;
    }
    return x;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = count - 1; k >= 0; k--) {
      if (k === root) continue;
      const v = order[k] ?? 0;
      let dom = UNSEEN;
      for (let p = predCount[v] ?? 0; p < (predCount[v + 1] ?? 0); p++) {
        const pk = post[preds[p] ?? 0] ?? UNSEEN;
        if (pk === UNSEEN || idom[pk] === UNSEEN) continue;
        dom = dom === UNSEEN ? pk : intersect(pk, dom);
      }
      if (dom !== UNSEEN && idom[k] !== dom) {
        idom[k] = dom;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(n);
  for (let k = 0; k < count; k++) retained[order[k] ?? 0] = selfSize[order[k] ?? 0] ?? 0;
  // Post-order visits children before their dominators.
  for (let k = 0; k < count; k++) {
    if (k === root) continue;
    const d = idom[k] ?? UNSEEN;
    if (d === UNSEEN) continue;
    const v = order[k] ?? 0;
    const dv = order[d] ?? 0;
    retained[dv] = (retained[dv] ?? 0) + (retained[v] ?? 0);
  }
  return retained;
}

export interface ConstructorRow {
  name: string;
  count: number;
  selfBytes: number;
}

/** Self size by node type and constructor ("object:Foo", "string", "code", ...), largest first. */
export function byConstructor(g: HeapGraph, top = 25): ConstructorRow[] {
  const rows = new Map<string, ConstructorRow>();
  for (let i = 0; i < g.nodeCount; i++) {
    const t = g.type(i);
    const key = t === "object" || t === "closure" || t === "native" ? `${t}:${g.name(i)}` : t;
    const r = rows.get(key) ?? { name: key, count: 0, selfBytes: 0 };
    r.count++;
    r.selfBytes += g.selfSize[i] ?? 0;
    rows.set(key, r);
  }
  return [...rows.values()].sort((a, b) => b.selfBytes - a.selfBytes).slice(0, top);
}

export interface FieldRow {
  owner: string;
  field: string;
  retainedBytes: number;
}

/** For every object whose constructor is in `owners`, the retained size behind each of its named fields. */
export function fieldsOf(g: HeapGraph, owners: Set<string>): FieldRow[] {
  const out: FieldRow[] = [];
  for (let i = 0; i < g.nodeCount; i++) {
    if (g.type(i) !== "object" || !owners.has(g.name(i))) continue;
    for (let e = g.firstEdge[i] ?? 0; e < (g.firstEdge[i + 1] ?? 0); e++) {
      const t = g.edgeType(e);
      if (t !== "property" && t !== "internal") continue;
      const to = g.edgeTo[e] ?? 0;
      const bytes = g.retained[to] ?? 0;
      if (bytes < 64 * 1024) continue;
      out.push({ owner: g.name(i), field: g.edgeName(e), retainedBytes: bytes });
    }
  }
  return out.sort((a, b) => b.retainedBytes - a.retainedBytes);
}

/** Total retained size of every object reached from the root through a "(…)" GC root, e.g. code or compilation cache. */
export function rootGroups(g: HeapGraph, top = 15): { name: string; retainedBytes: number }[] {
  const out: { name: string; retainedBytes: number }[] = [];
  for (let e = g.firstEdge[0] ?? 0; e < (g.firstEdge[1] ?? 0); e++) {
    const to = g.edgeTo[e] ?? 0;
    out.push({ name: g.name(to), retainedBytes: g.retained[to] ?? 0 });
  }
  return out.sort((a, b) => b.retainedBytes - a.retainedBytes).slice(0, top);
}
