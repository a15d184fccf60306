// The memory map: the address space as ranges coloured by kind, on one canvas (a DOM node per range
// would be 30,000+ nodes). The axis is wrapped over rows, long gaps shortened (the worker computes
// where each range lies on it); each row shows the kinds above and, as a dark strip below, the
// ranges whose bytes the dump holds. Zoom with the wheel, the buttons or + / -, pan by dragging or
// with the arrow keys, Home shows everything; hover or click shows a range, Enter opens it in hex.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DumpClient } from '../worker/client.js';
import type { MemoryMap } from '../worker/protocol.js';
import { kindColor } from './colors.js';
import { ErrorBox } from './ErrorBox.js';
import { addr, sizeText } from './format.js';
import { useRequest } from './use-request.js';

const ROWS = 16;
const ROW_H = 26;
const STRIP_H = 6;
const ROW_GAP = 4;
const GUTTER = 150;
const MIN_SPAN = 256;

export function MemoryMapView(props: { client: DumpClient; onAddress: (a: bigint, space?: string) => void }) {
  const r = useRequest(() => props.client.request('memoryMap', {}), []);
  if (r.state === 'loading') return <p role="status">Reading the memory map…</p>;
  if (r.state === 'failed') return <ErrorBox error={r.error} what="Memory map" />;
  return <MapCanvas map={r.value} ms={r.ms} onAddress={props.onAddress} />;
}

/** '#rrggbb' → the 32-bit pixel of an ImageData on a little-endian machine (every browser's). */
function packColor(hex: string): number {
  const v = parseInt(hex.slice(1), 16);
  return (0xff << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff);
}

function colorsOf(map: MemoryMap): string[] {
  const seen: Record<string, number> = {};
  return map.kinds.map((k, i) => {
    const g = map.groups?.[i];
    const n = g ? (seen[g] = (seen[g] ?? -1) + 1) : 0;
    return kindColor(k, g, n);
  });
}

/** The address at axis position `a` (in a shortened gap: the end of the segment before it). */
function addressAt(map: MemoryMap, a: number): bigint {
  let lo = 0;
  let hi = map.segAxis.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (map.segAxis[mid]! <= a) lo = mid + 1;
    else hi = mid;
  }
  const j = Math.max(0, lo - 1);
  if (map.segAxis.length === 0) return 0n;
  const off = Math.max(0, a - map.segAxis[j]!);
  const len = Number(map.segEnd[j]! - map.segStart[j]!);
  return off >= len ? map.segEnd[j]! : map.segStart[j]! + BigInt(Math.floor(off));
}

/** The range under axis position `a` on the given layer (strip: the dump's ranges), or -1. */
function rangeAt(map: MemoryMap, a: number, strip: boolean, tolerance: number): number {
  let lo = 0;
  let hi = map.axisStart.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (map.axisStart[mid]! <= a + tolerance) lo = mid + 1;
    else hi = mid;
  }
  let best = -1;
  let bestDist = Infinity;
  for (let i = lo - 1, steps = 0; i >= 0 && steps < 4096; i--, steps++) {
    if ((map.captured[i] === 1) !== strip) continue;
    const s = map.axisStart[i]!;
    const e = map.axisEnd[i]!;
    const d = a < s ? s - a : a >= e ? a - e : 0;
    if (d === 0) return i;
    if (d <= tolerance && d < bestDist) {
      best = i;
      bestDist = d;
    }
  }
  return best;
}

function MapCanvas(props: { map: MemoryMap; ms: number; onAddress: (a: bigint, space?: string) => void }) {
  const { map } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(1200);
  const [win, setWin] = useState<[number, number]>([0, Math.max(map.axisLength, MIN_SPAN)]);
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | undefined>(undefined);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const drag = useRef<{ x: number; y: number; win: [number, number] } | undefined>(undefined);
  const colors = useMemo(() => colorsOf(map), [map]);
  const height = ROWS * (ROW_H + ROW_GAP);
  const plotW = Math.max(100, width - GUTTER);
  const [drawMs, setDrawMs] = useState(0);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    ro.observe(el);
    setWidth(Math.floor(el.clientWidth));
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.floor(width * dpr);
    c.height = Math.floor(height * dpr);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const [v0, v1] = win;
    const perRow = (v1 - v0) / ROWS;
    // Paint into pixels directly: per row and layer (kinds above, the dump's ranges in the strip
    // below) one colour per pixel column (the range painted last wins), then one putImageData. The
    // work is one pass over the ranges plus the pixels, whatever the zoom.
    const W = c.width;
    const plotPx = Math.max(1, Math.floor(plotW * dpr));
    const gutterPx = Math.floor(GUTTER * dpr);
    const cols = new Uint8Array(ROWS * 2 * plotPx); // kind + 1, 0 = nothing
    const n = map.axisStart.length;
    const scale = plotPx / perRow;
    for (let i = 0; i < n; i++) {
      const s = map.axisStart[i]!;
      const e = map.axisEnd[i]!;
      if (e <= v0 || s >= v1) continue;
      const layer = map.captured[i] === 1 ? 1 : 0;
      const k = map.kind[i]! + 1;
      const a0 = Math.max(s, v0) - v0;
      const a1 = Math.min(e, v1) - v0;
      const r0 = Math.min(ROWS - 1, Math.floor(a0 / perRow));
      const r1 = Math.min(ROWS - 1, Math.floor((a1 - 1e-9) / perRow));
      for (let r = r0; r <= r1; r++) {
        const x0 = Math.floor((Math.max(a0, r * perRow) - r * perRow) * scale);
        const x1 = Math.max(x0 + 1, Math.ceil((Math.min(a1, (r + 1) * perRow) - r * perRow) * scale));
        const base = (r * 2 + layer) * plotPx;
        cols.fill(k, base + Math.min(x0, plotPx - 1), base + Math.min(x1, plotPx));
      }
    }
    const img = g.createImageData(W, c.height);
    const px = new Uint32Array(img.data.buffer);
    const packed = [packColor('#f3f3f3'), ...colors.map(packColor)];
    const rowPx = Math.round((ROW_H + ROW_GAP) * dpr);
    const regionPx = Math.round((ROW_H - STRIP_H - 1) * dpr);
    const stripTop = Math.round((ROW_H - STRIP_H) * dpr);
    const stripPx = Math.round(STRIP_H * dpr);
    for (let r = 0; r < ROWS; r++) {
      for (let layer = 0; layer < 2; layer++) {
        const base = (r * 2 + layer) * plotPx;
        const y0 = r * rowPx + (layer ? stripTop : 0);
        const h = layer ? stripPx : regionPx;
        for (let x = 0; x < plotPx; x++) {
          const col = packed[cols[base + x]!]!;
          for (let y = y0, o = y0 * W + gutterPx + x; y < y0 + h; y++, o += W) px[o] = col;
        }
      }
    }
    g.putImageData(img, 0, 0);
    if (selected !== undefined) {
      g.strokeStyle = '#000';
      g.lineWidth = 2;
      const s = Math.max(map.axisStart[selected]!, v0) - v0;
      const e = Math.min(map.axisEnd[selected]!, v1) - v0;
      if (e > 0 && s < v1 - v0) {
        const r0 = Math.floor(s / perRow);
        const r1 = Math.min(ROWS - 1, Math.floor((e - 1e-9) / perRow));
        for (let r = r0; r <= r1; r++) {
          const x0 = GUTTER + (Math.max(s, r * perRow) - r * perRow) / perRow * plotW;
          const x1 = GUTTER + (Math.min(e, (r + 1) * perRow) - r * perRow) / perRow * plotW;
          g.strokeRect(x0, r * (ROW_H + ROW_GAP) + 1, Math.max(2, x1 - x0), ROW_H - 2);
        }
      }
    }
    g.fillStyle = '#1b1b1b';
    g.font = '12px ui-monospace, monospace';
    g.textBaseline = 'middle';
    for (let r = 0; r < ROWS; r++) g.fillText(addr(addressAt(map, v0 + r * perRow)), 4, r * (ROW_H + ROW_GAP) + ROW_H / 2);
    setDrawMs(performance.now() - t0);
  }, [map, win, width, selected, colors]);

  const axisAtPoint = (x: number, y: number): { a: number; strip: boolean; perPx: number } | undefined => {
    const r = Math.floor(y / (ROW_H + ROW_GAP));
    if (r < 0 || r >= ROWS || x < GUTTER) return undefined;
    const perRow = (win[1] - win[0]) / ROWS;
    const inRow = y - r * (ROW_H + ROW_GAP);
    return { a: win[0] + r * perRow + ((x - GUTTER) / plotW) * perRow, strip: inRow >= ROW_H - STRIP_H - 1, perPx: perRow / plotW };
  };

  const clampWin = (w: [number, number]): [number, number] => {
    const total = Math.max(map.axisLength, MIN_SPAN);
    let span = Math.min(total, Math.max(MIN_SPAN, w[1] - w[0]));
    let s = Math.min(Math.max(0, w[0]), total - span);
    if (!Number.isFinite(s)) s = 0;
    if (!Number.isFinite(span)) span = total;
    return [s, s + span];
  };

  const zoom = (factor: number, at?: number) => {
    setWin((w) => {
      const c = at ?? (w[0] + w[1]) / 2;
      return clampWin([c - (c - w[0]) * factor, c + (w[1] - c) * factor]);
    });
  };
  const pan = (by: number) => setWin((w) => clampWin([w[0] + by, w[1] + by]));

  const point = (e: MouseEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  };

  const onKey = (e: KeyboardEvent) => {
    const span = win[1] - win[0];
    const keys: Record<string, () => void> = {
      '+': () => zoom(0.5),
      '=': () => zoom(0.5),
      '-': () => zoom(2),
      _: () => zoom(2),
      ArrowRight: () => pan(span / ROWS / 4),
      ArrowLeft: () => pan(-span / ROWS / 4),
      ArrowDown: () => pan(span / ROWS),
      ArrowUp: () => pan(-span / ROWS),
      PageDown: () => pan(span),
      PageUp: () => pan(-span),
      Home: () => setWin(clampWin([0, map.axisLength])),
      Enter: () => selected !== undefined && props.onAddress(map.start[selected]!, map.space),
    };
    const f = keys[e.key];
    if (!f) return;
    e.preventDefault();
    f();
  };

  const sel = selected ?? hover?.i;
  const counts = useMemo(() => {
    const c = new Array<number>(map.kinds.length).fill(0);
    for (let i = 0; i < map.kind.length; i++) c[map.kind[i]!]++;
    return c;
  }, [map]);
  const rangeText = (i: number) =>
    `${map.kinds[map.kind[i]!]}: ${addr(map.start[i]!)}–${addr(map.end[i]!)} (${sizeText(Number(map.end[i]! - map.start[i]!))})${map.captured[i] ? '' : ''}`;

  return (
    <div class="memory-map">
      <div class="map-toolbar">
        <button type="button" onClick={() => zoom(0.5)} aria-label="Zoom in">
          Zoom in (+)
        </button>
        <button type="button" onClick={() => zoom(2)} aria-label="Zoom out">
          Zoom out (−)
        </button>
        <button type="button" onClick={() => setWin(clampWin([0, map.axisLength]))}>
          Show all (Home)
        </button>
        <span class="muted" data-testid="map-stats">
          {map.start.length} ranges ({map.space} addresses), showing {addr(addressAt(map, win[0]))}–{addr(addressAt(map, win[1]))}; read in {props.ms.toFixed(0)} ms, drawn in {drawMs.toFixed(1)} ms
        </span>
      </div>
      <div class="map-wrap" ref={wrap}>
        <canvas
          ref={canvas}
          style={{ width: `${width}px`, height: `${height}px` }}
          tabIndex={0}
          role="img"
          aria-label={`Memory map of ${map.start.length} ranges. Plus and minus zoom, arrow keys pan, Home shows all, Enter opens the selected range in the hex view.`}
          data-testid="memory-map"
          data-window={`${win[0]},${win[1]}`}
          onKeyDown={onKey}
          onWheel={(e) => {
            e.preventDefault();
            const p = axisAtPoint(point(e).x, point(e).y);
            zoom(e.deltaY < 0 ? 0.8 : 1.25, p?.a);
          }}
          onMouseDown={(e) => {
            drag.current = { ...point(e), win };
          }}
          onMouseUp={(e) => {
            const d = drag.current;
            drag.current = undefined;
            const p = point(e);
            if (d && Math.abs(p.x - d.x) + Math.abs(p.y - d.y) > 4) return;
            const q = axisAtPoint(p.x, p.y);
            const i = q ? rangeAt(map, q.a, q.strip, q.perPx * 2) : -1;
            setSelected(i >= 0 ? i : undefined);
          }}
          onMouseLeave={() => {
            drag.current = undefined;
            setHover(undefined);
          }}
          onMouseMove={(e) => {
            const p = point(e);
            const d = drag.current;
            if (d && e.buttons === 1) {
              const span = d.win[1] - d.win[0];
              const by = -((p.x - d.x) / plotW) * (span / ROWS) - Math.round((p.y - d.y) / (ROW_H + ROW_GAP)) * (span / ROWS);
              setWin(clampWin([d.win[0] + by, d.win[1] + by]));
              return;
            }
            const q = axisAtPoint(p.x, p.y);
            const i = q ? rangeAt(map, q.a, q.strip, q.perPx * 2) : -1;
            setHover(i >= 0 ? { i, x: p.x, y: p.y } : undefined);
          }}
        />
        {hover && (
          <div class="map-tip" style={{ left: `${Math.min(hover.x + 12, width - 320)}px`, top: `${hover.y + 14}px` }} role="tooltip">
            {rangeText(hover.i)}
            <br />
            {map.captured[hover.i] ? 'bytes in the dump' : 'region (lower strip: what the dump holds)'}
          </div>
        )}
      </div>
      <p class="map-selected" aria-live="polite" data-testid="map-selected">
        {sel !== undefined ? (
          <>
            {rangeText(sel)}{' '}
            <button type="button" onClick={() => props.onAddress(map.start[sel]!, map.space)}>
              Show in hex (Enter)
            </button>
          </>
        ) : (
          'Hover or click a range to see it; focus the map to use the keyboard.'
        )}
      </p>
      {map.notes.map((n) => (
        <p class="muted small">Not used for the map: {n}</p>
      ))}
      <ul class="legend" aria-label="Kinds">
        {map.kinds.map((k, i) =>
          counts[i] ? (
            <li>
              <span class="swatch" style={{ background: colors[i] }} /> {k} <span class="muted">({counts[i]})</span>
            </li>
          ) : null,
        )}
      </ul>
    </div>
  );
}
