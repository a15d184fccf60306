// The hex view: only the visible rows exist (32 rows of 16 bytes); their bytes are read from the
// worker a 4 KiB page at a time as they come into view and kept in a small cache. Bytes the dump
// does not hold show as ??. Go to an address, or move with the wheel, arrows and Page Up/Down.
import { useEffect, useRef, useState } from 'preact/hooks';
import { routeHref } from '../app/route.js';
import type { DumpClient } from '../worker/client.js';
import { ViewerError } from '../worker/client.js';
import type { AddressSpace, DumpKind, MemoryBytes } from '../worker/protocol.js';
import { ErrorBox } from './ErrorBox.js';
import { addr, parseAddress } from './format.js';

const ROWS = 32;
const PAGE = 4096n;
const MAX_ADDRESS = (1n << 64n) - 16n;
const CACHED_PAGES = 64;

export function HexView(props: {
  client: DumpClient;
  kind: DumpKind;
  address?: string;
  fallback?: bigint;
  space: AddressSpace;
  onNavigate: (a: bigint, space?: AddressSpace) => void;
}) {
  const wanted = (props.address !== undefined ? parseAddress(props.address) : undefined) ?? props.fallback ?? 0n;
  const [top, setTop] = useState(wanted & ~15n);
  const [pages, setPages] = useState(new Map<string, MemoryBytes>());
  const [error, setError] = useState<ViewerError | undefined>(undefined);
  const [input, setInput] = useState(addr(wanted));
  const cache = useRef(new Map<string, MemoryBytes>());
  const pending = useRef(new Set<string>());
  const spaceRef = useRef(props.space);

  useEffect(() => {
    setTop(wanted & ~15n);
    setInput(addr(wanted));
  }, [props.address, props.space]);

  useEffect(() => {
    if (spaceRef.current !== props.space) {
      cache.current.clear();
      spaceRef.current = props.space;
    }
    const first = top & ~(PAGE - 1n);
    const last = (top + BigInt(ROWS * 16) - 1n) & ~(PAGE - 1n);
    for (let p = first; p <= last; p += PAGE) {
      const key = `${props.space}:${p}`;
      if (cache.current.has(key) || pending.current.has(key)) continue;
      pending.current.add(key);
      props.client.request('read', { address: p, length: Number(PAGE), space: props.space }).then(
        (m) => {
          pending.current.delete(key);
          const c = cache.current;
          if (c.size >= CACHED_PAGES) c.delete(c.keys().next().value!);
          c.set(key, m);
          setPages(new Map(c));
        },
        (e: unknown) => {
          pending.current.delete(key);
          setError(e instanceof ViewerError ? e : new ViewerError({ code: 'BUG', message: String(e) }));
        },
      );
    }
    // the URL follows the view without adding a history entry per scroll step
    const h = new URLSearchParams(location.hash.replace(/^#\/?[^?]*\??/, ''));
    h.set('address', addr(top));
    history.replaceState(null, '', routeHref('viewer', Object.fromEntries(h)));
  }, [top, props.space]);

  const move = (rows: number) => {
    setTop((t) => {
      const n = t + BigInt(rows * 16);
      return n < 0n ? 0n : n > MAX_ADDRESS ? MAX_ADDRESS & ~15n : n;
    });
  };

  const byteAt = (a: bigint): number | undefined | null => {
    const page = pages.get(`${props.space}:${a & ~(PAGE - 1n)}`);
    if (!page) return null; // not read yet
    const i = Number(a - page.address);
    return page.present[i] ? page.bytes[i] : undefined;
  };

  const lines: string[] = [];
  for (let r = 0; r < ROWS; r++) {
    const rowAddr = top + BigInt(r * 16);
    if (rowAddr > MAX_ADDRESS + 15n) break;
    let hexPart = '';
    let ascii = '';
    for (let i = 0; i < 16; i++) {
      const b = byteAt(rowAddr + BigInt(i));
      hexPart += (b === null ? '  ' : b === undefined ? '??' : b.toString(16).padStart(2, '0')) + (i === 7 ? '  ' : ' ');
      ascii += b === null || b === undefined ? (b === null ? ' ' : '?') : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    lines.push(`${rowAddr.toString(16).padStart(16, '0')}  ${hexPart} ${ascii}`);
  }

  const goTo = (e: Event) => {
    e.preventDefault();
    const a = parseAddress(input);
    if (a === undefined) {
      setError(new ViewerError({ code: 'INVALID_ARGUMENT', message: `${JSON.stringify(input)} is not an address (hex, like 0x7ff6a0001000 or fffff800\`00000000)` }));
      return;
    }
    setError(undefined);
    props.onNavigate(a, props.space);
  };

  return (
    <div class="hex-view">
      <form class="hex-bar" onSubmit={goTo}>
        <label>
          Address <input class="mono" value={input} onInput={(e) => setInput((e.currentTarget as HTMLInputElement).value)} size={22} data-testid="hex-address" />
        </label>
        <button type="submit">Go</button>
        {props.kind === 'kernel' && (
          <label>
            Address space{' '}
            <select value={props.space} onChange={(e) => props.onNavigate(top, (e.currentTarget as HTMLSelectElement).value as AddressSpace)}>
              <option value="virtual">kernel virtual</option>
              <option value="physical">physical</option>
            </select>
          </label>
        )}
        <button type="button" onClick={() => move(-ROWS)}>
          Page up
        </button>
        <button type="button" onClick={() => move(ROWS)}>
          Page down
        </button>
      </form>
      {error && <ErrorBox error={error} what="Hex view" />}
      <pre
        class="hex"
        tabIndex={0}
        aria-label={`Bytes from ${addr(top)}; arrow keys and Page Up/Down move, ?? marks bytes not in the dump`}
        data-testid="hex"
        onWheel={(e) => {
          e.preventDefault();
          move(e.deltaY > 0 ? 3 : -3);
        }}
        onKeyDown={(e) => {
          const by = { ArrowDown: 1, ArrowUp: -1, PageDown: ROWS, PageUp: -ROWS }[e.key];
          if (by === undefined) return;
          e.preventDefault();
          move(by);
        }}
      >
        {lines.join('\n')}
      </pre>
    </div>
  );
}
