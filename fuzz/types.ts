/**
 * What a fuzz target is (one file each under fuzz/targets/, found by listing that folder):
 * seeds to mutate, the header fields of each seed (written with boundary values), and `run`, which
 * drives the whole reader surface over one input in process. `run` may throw DumpError (a clear
 * refusal of bad input, counted by code); anything else it throws is a bug.
 */

/** A header field of a seed: `size` bytes, little-endian, at `offset`. */
export interface Field {
  name: string;
  offset: number;
  size: 1 | 2 | 4 | 8;
}

export interface Seed {
  /** Where it comes from: a corpus path, or `generated:<what>`. */
  name: string;
  bytes: Uint8Array;
  fields: Field[];
  /** A text format (e.g. Breakpad .sym): numbers in it are also replaced by boundary values, as text. */
  text?: boolean;
}

export interface SeedSet {
  seeds: Seed[];
  /** Said once at the start of a run (e.g. "corpus not found at …: generated seeds only"). */
  notes: string[];
}

export interface RunOutcome {
  /** DumpError codes the accessors raised after the open (each accessor may refuse on its own). */
  accessorErrors: string[];
}

export interface FuzzTarget {
  name: string;
  description: string;
  seeds(): Promise<SeedSet>;
  run(input: Uint8Array): Promise<RunOutcome>;
}
