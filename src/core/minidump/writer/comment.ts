import { utf16le } from './encode.js';

/**
 * CommentStreamW (11): the comment as UTF-16LE with a 2-byte NUL terminator (what WinDbg prints as
 * "Comment:"; dumpkit monitor records the trigger of each dump here).
 */
export function encodeCommentW(text: string): Uint8Array {
  const body = utf16le(text);
  const out = new Uint8Array(body.length + 2);
  out.set(body, 0);
  return out;
}

/** CommentStreamA (10): the comment as single-byte text with a NUL terminator; characters above U+00FF become '?'. */
export function encodeCommentA(text: string): Uint8Array {
  const out = new Uint8Array(text.length + 1);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c > 0xff || c === 0 ? 0x3f : c;
  }
  return out;
}
