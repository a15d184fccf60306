/** Helpers for targets: run one accessor, keeping DumpErrors as counted refusals and letting anything else through. */
import { DumpError } from '../src/core/errors.js';
import type { Field } from './types.js';

export class Accessors {
  readonly errors: string[] = [];

  /** Runs `f`; a DumpError is recorded (the accessor refused) and undefined returned; anything else propagates. */
  async try<T>(f: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await f();
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      this.errors.push(e.code);
      return undefined;
    }
  }
}

/** A little-endian reader over seed bytes that never throws (fields outside the bytes read as 0). */
export class Peek {
  private readonly v: DataView;
  constructor(readonly b: Uint8Array) {
    this.v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  u32(at: number): number {
    return at >= 0 && at + 4 <= this.b.length ? this.v.getUint32(at, true) : 0;
  }
  u64(at: number): bigint {
    return at >= 0 && at + 8 <= this.b.length ? this.v.getBigUint64(at, true) : 0n;
  }
}

/** Fields from a literal layout (name → [offset, size]) placed at `base`, named `prefix.name`. */
export function layout(prefix: string, base: number, l: Record<string, readonly [number, Field['size']]>): Field[] {
  return Object.entries(l).map(([name, [offset, size]]) => ({ name: `${prefix}.${name}`, offset: base + offset, size }));
}

/** Seeds that only differ in their fields list get computed once per seed. */
export function withFields<S extends { bytes: Uint8Array }>(s: S, fields: (b: Uint8Array) => Field[]): S & { fields: Field[] } {
  return { ...s, fields: fields(s.bytes) };
}
