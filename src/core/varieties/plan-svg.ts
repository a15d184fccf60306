import { PAGE_CLASSES, pageGroup, type PageClass, type PageGroup } from './page-class.js';
import { formatBytes, type VarietyPlan } from './plan.js';

const GROUP_COLOURS: Readonly<Record<PageGroup, string>> = {
  kernel: '#c0392b',
  user: '#2e86c1',
  'file-cache': '#f5b041',
  unallocated: '#d5d8dc',
  'paging-lists': '#8e44ad',
  'guest-vm': '#27ae60',
  hypervisor: '#16a085',
  unknown: '#7f8c8d',
};

/** Lighter or darker shades within a group, so each class is its own segment. */
function colour(c: PageClass): string {
  const group = pageGroup(c);
  const members = PAGE_CLASSES.filter((x) => pageGroup(x) === group);
  const i = members.indexOf(c);
  const base = GROUP_COLOURS[group];
  const r = parseInt(base.slice(1, 3), 16);
  const g = parseInt(base.slice(3, 5), 16);
  const b = parseInt(base.slice(5, 7), 16);
  const f = 1 - (i / Math.max(1, members.length)) * 0.55;
  const mix = (x: number) => Math.round(x * f + 255 * (1 - f)).toString(16).padStart(2, '0');
  return `#${mix(r)}${mix(g)}${mix(b)}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A stacked bar per variety: segment widths are page counts of each class, on one scale (the
 * largest variety spans the full width), so bars compare sizes too. Written by hand, no library.
 */
export function planSvg(plans: readonly VarietyPlan[], title: string): string {
  const barX = 170;
  const barW = 560;
  const rowH = 34;
  const top = 48;
  const maxPages = Math.max(1, ...plans.map((p) => Object.values(p.pages).reduce((s, n) => s + n, 0)));
  const used = PAGE_CLASSES.filter((c) => plans.some((p) => (p.pages[c] ?? 0) > 0));
  const legendRows = Math.ceil(used.length / 3);
  const height = top + plans.length * rowH + 30 + legendRows * 18 + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${barX + barW + 130}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  plans.forEach((p, row) => {
    const y = top + row * rowH;
    out.push(`<text x="10" y="${y + 17}">${esc(p.name)}</text>`);
    let x = barX;
    for (const c of PAGE_CLASSES) {
      const n = p.pages[c] ?? 0;
      if (n === 0) continue;
      const w = (n / maxPages) * barW;
      out.push(`<rect x="${x.toFixed(2)}" y="${y + 4}" width="${Math.max(w, 0.5).toFixed(2)}" height="${rowH - 10}" fill="${colour(c)}"><title>${esc(`${c}: ${n} pages`)}</title></rect>`);
      x += w;
    }
    if (p.dumpType === 4) out.push(`<rect x="${barX}" y="${y + 4}" width="2" height="${rowH - 10}" fill="#333"/>`);
    out.push(`<text x="${Math.max(x, barX + 2) + 6}" y="${y + 17}">${esc(formatBytes(p.bytes))}</text>`);
  });
  const ly = top + plans.length * rowH + 20;
  used.forEach((c, i) => {
    const x = 10 + (i % 3) * 270;
    const y = ly + Math.floor(i / 3) * 18;
    out.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${colour(c)}"/>`);
    out.push(`<text x="${x + 18}" y="${y}">${esc(c)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
