import type { StructView } from '../../bytes/struct-view.js';
import { decodeUtf16le } from '../../bytes/struct-view.js';
import type { StreamContext } from './common.js';

/** CommentStreamA (10): NUL-terminated ANSI text (decoded as Latin-1). */
export function readCommentA(_ctx: StreamContext, v: StructView): string {
  return v.ascii(0, v.length);
}

/** CommentStreamW (11): NUL-terminated UTF-16LE text. */
export function readCommentW(_ctx: StreamContext, v: StructView): string {
  return decodeUtf16le(v.raw(0, v.length & ~1));
}
