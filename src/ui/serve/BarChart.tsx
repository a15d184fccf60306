// A small SVG bar chart (counts per day, per version): no chart library for a few dozen bars.

const WIDTH = 480;
const HEIGHT = 160;
const PAD = { left: 36, right: 8, top: 18, bottom: 36 };

export function BarChart({ title, data, sort }: { title: string; data: Record<string, number>; sort: 'key' | 'value' }) {
  const entries = Object.entries(data).sort(sort === 'key' ? (a, b) => (a[0] < b[0] ? -1 : 1) : (a, b) => b[1] - a[1]).slice(-60);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const w = (WIDTH - PAD.left - PAD.right) / Math.max(1, entries.length);
  const h = HEIGHT - PAD.top - PAD.bottom;
  const every = Math.ceil(entries.length / 8);
  return (
    <figure class="serve-chart">
      <figcaption>{title}</figcaption>
      <svg width={WIDTH} height={HEIGHT} role="img" aria-label={`${title}: ${entries.map(([k, n]) => `${k} ${n}`).join(', ')}`}>
        <text x={PAD.left - 4} y={PAD.top + 4} text-anchor="end">{max}</text>
        <text x={PAD.left - 4} y={PAD.top + h} text-anchor="end">0</text>
        <line x1={PAD.left} y1={PAD.top + h} x2={WIDTH - PAD.right} y2={PAD.top + h} stroke="#c8c8c8" />
        {entries.map(([k, n], i) => {
          const bh = (n / max) * h;
          const x = PAD.left + i * w;
          return (
            <g key={k}>
              <rect x={x + 1} y={PAD.top + h - bh} width={Math.max(1, w - 2)} height={bh}>
                <title>{`${k}: ${n}`}</title>
              </rect>
              {i % every === 0 && (
                <text x={x + w / 2} y={HEIGHT - PAD.bottom + 14} text-anchor="middle">
                  {k.length > 10 ? k.slice(5) : k}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
