// A sortable table: column headers are buttons (aria-sort says the order), rows are selectable with
// the mouse or the arrow keys (one row in the tab order, aria-selected), and the context menu
// opens on right-click, the context-menu key, Shift+F10 or Enter.
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';

export interface Column<T> {
  key: string;
  label: string;
  /** Numbers align right. */
  numeric?: boolean;
  render: (row: T) => ComponentChildren;
  sortValue?: (row: T) => number | string;
  width?: string;
}

export interface Sort {
  key: string;
  descending: boolean;
}

export interface DataTableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  sort: Sort;
  onSort: (sort: Sort) => void;
  selected: string | undefined;
  onSelect: (key: string) => void;
  /** Opens the row's menu at (x, y); `keyboard` when it came from a key. */
  onMenu: (row: T, x: number, y: number, keyboard: boolean) => void;
  rowClass?: (row: T) => string | undefined;
}

export function sortRows<T>(rows: T[], columns: Column<T>[], sort: Sort): T[] {
  const col = columns.find((c) => c.key === sort.key);
  if (!col?.sortValue) return rows;
  const v = col.sortValue;
  const dir = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = v(a);
    const y = v(b);
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
  });
}

export function DataTable<T>(p: DataTableProps<T>) {
  const body = useRef<HTMLTableSectionElement>(null);
  const focusRow = (key: string) => {
    p.onSelect(key);
    requestAnimationFrame(() => body.current?.querySelector<HTMLElement>(`tr[data-key="${CSS.escape(key)}"]`)?.focus());
  };
  const onKey = (e: KeyboardEvent, row: T, index: number) => {
    const keys = p.rows.map(p.rowKey);
    const go = (i: number) => {
      e.preventDefault();
      focusRow(keys[Math.max(0, Math.min(keys.length - 1, i))]!);
    };
    if (e.key === 'ArrowDown') go(index + 1);
    else if (e.key === 'ArrowUp') go(index - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(keys.length - 1);
    else if (e.key === 'PageDown') go(index + 15);
    else if (e.key === 'PageUp') go(index - 15);
    else if (e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey) || e.key === 'Enter') {
      e.preventDefault();
      const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
      p.onMenu(row, r.left + 24, r.bottom, true);
    }
  };
  const focusKey = p.selected !== undefined && p.rows.some((r) => p.rowKey(r) === p.selected) ? p.selected : p.rows[0] && p.rowKey(p.rows[0]);
  return (
    <table class="data-table">
      <caption class="visually-hidden">{p.caption}</caption>
      <thead>
        <tr>
          {p.columns.map((c) => (
            <th
              scope="col"
              class={c.numeric ? 'num' : undefined}
              style={c.width ? { width: c.width } : undefined}
              aria-sort={c.sortValue && p.sort.key === c.key ? (p.sort.descending ? 'descending' : 'ascending') : undefined}
            >
              {c.sortValue ? (
                <button type="button" class="sort-button" onClick={() => p.onSort({ key: c.key, descending: p.sort.key === c.key ? !p.sort.descending : c.numeric === true })}>
                  {c.label}
                  <span aria-hidden="true" class="sort-mark">
                    {p.sort.key === c.key ? (p.sort.descending ? '▼' : '▲') : ''}
                  </span>
                </button>
              ) : (
                <span class="visually-hidden">{c.label}</span>
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody ref={body}>
        {p.rows.map((row, i) => {
          const key = p.rowKey(row);
          return (
            <tr
              key={key}
              data-key={key}
              tabIndex={key === focusKey ? 0 : -1}
              aria-selected={key === p.selected}
              class={p.rowClass?.(row)}
              onClick={() => p.onSelect(key)}
              onContextMenu={(e) => {
                e.preventDefault();
                p.onSelect(key);
                p.onMenu(row, e.clientX, e.clientY, e.detail === 0);
              }}
              onKeyDown={(e) => e.target === e.currentTarget && onKey(e, row, i)}
            >
              {p.columns.map((c) => (
                <td class={c.numeric ? 'num' : undefined}>{c.render(row)}</td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
