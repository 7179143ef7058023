// Seeded randomness for chaos rounds. A round draws from several independent streams (the workload,
// the out-of-band cloud changes, the process faults), each forked from the round's seed by a label, so
// adding a draw to one stream does not shift the others: a seed replays the same plan.
import { createHash } from "node:crypto";

/** A small, fast, seeded generator (mulberry32); not for secrets. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** An independent stream for `label`, a pure function of (seed, label). */
  static fork(seed: number, label: string): Rng {
    return new Rng(createHash("sha256").update(`${seed}\0${label}`).digest().readUInt32BE(0));
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("Rng.pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of `weights`' keys, each with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let draw = this.next() * total;
    for (const [key, w] of entries) {
      draw -= w;
      if (draw < 0) return key;
    }
    return (entries.at(-1) as [K, number])[0];
  }

  /** A lower-case alphanumeric string of `length` characters. */
  token(length: number): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
}
