import { FileSource } from '../../src/node/file-source.js';
import { Minidump } from '../../src/core/minidump/minidump.js';
import { summarizeMinidump, type MinidumpSummary } from '../../src/core/minidump/summary.js';
import { corpusFile } from './corpus.js';

/** Opens a corpus minidump, runs `f`, closes it. */
export async function withCorpusDump<T>(rel: string, f: (md: Minidump) => Promise<T>): Promise<T> {
  const src = FileSource.open(corpusFile(`minidump/${rel}`));
  try {
    return await f(await Minidump.open(src));
  } finally {
    await src.close();
  }
}

export async function corpusSummary(rel: string): Promise<MinidumpSummary> {
  const src = FileSource.open(corpusFile(`minidump/${rel}`));
  try {
    return await summarizeMinidump(src);
  } finally {
    await src.close();
  }
}
