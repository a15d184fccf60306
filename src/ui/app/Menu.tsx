// Context menus (right-click, the context-menu key, Shift+F10, or a visible "⋯" button), with
// submenus: role="menu"/"menuitem", arrow keys move, Right/Enter opens a submenu, Left closes it,
// Escape closes all and gives focus back, Enter/Space choose, a letter jumps to an item.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface MenuItem {
  label: string;
  onSelect?: () => void;
  items?: MenuItem[];
  disabled?: boolean;
  /** Why it is disabled, read out and shown as a tooltip. */
  note?: string;
}

export interface MenuProps {
  items: MenuItem[];
  x: number;
  y: number;
  label: string;
  onClose: () => void;
  /** Set when opened from the keyboard or the button: focus the first item. */
  focusFirst?: boolean;
}

export function Menu({ items, x, y, label, onClose, focusFirst = true }: MenuProps) {
  const restore = useRef(document.activeElement as HTMLElement | null);
  useEffect(() => {
    const outside = (e: MouseEvent) => {
      if (!(e.target as Element).closest?.('.menu')) onClose();
    };
    const blur = () => onClose();
    document.addEventListener('mousedown', outside);
    window.addEventListener('blur', blur);
    window.addEventListener('resize', blur);
    return () => {
      document.removeEventListener('mousedown', outside);
      window.removeEventListener('blur', blur);
      window.removeEventListener('resize', blur);
    };
  }, [onClose]);
  const close = (refocus: boolean) => {
    onClose();
    if (refocus && restore.current && document.contains(restore.current)) restore.current.focus();
  };
  return <MenuList items={items} x={x} y={y} label={label} close={close} focusFirst={focusFirst} />;
}

/** `flipX`: for a submenu, the parent item's left edge: the submenu opens to the left of it when there is no room on the right. */
function MenuList({ items, x, y, flipX, label, close, focusFirst, onBack }: { items: MenuItem[]; x: number; y: number; flipX?: number; label: string; close: (refocus: boolean) => void; focusFirst: boolean; onBack?: () => void }) {
  const ref = useRef<HTMLUListElement>(null);
  const [pos, setPos] = useState({ x, y });
  const [active, setActive] = useState(focusFirst ? 0 : -1);
  const [open, setOpen] = useState<{ index: number; x: number; flipX: number; y: number; keyboard: boolean } | undefined>();
  // Keep the menu inside the window.
  useLayoutEffect(() => {
    const r = ref.current!.getBoundingClientRect();
    const left = flipX !== undefined && x + r.width > innerWidth - 4 ? flipX - r.width : x;
    setPos({ x: Math.max(4, Math.min(left, innerWidth - r.width - 4)), y: Math.max(4, Math.min(y, innerHeight - r.height - 4)) });
  }, [x, y, flipX]);
  useEffect(() => {
    if (active >= 0) ref.current?.querySelectorAll<HTMLElement>(':scope > li > [role="menuitem"]')[active]?.focus();
  }, [active]);

  const openSub = (i: number, keyboard: boolean) => {
    const el = ref.current!.querySelectorAll<HTMLElement>(':scope > li > [role="menuitem"]')[i]!;
    const r = el.getBoundingClientRect();
    setOpen({ index: i, x: r.right - 2, flipX: r.left + 2, y: r.top - 4, keyboard });
  };
  const choose = (i: number, keyboard: boolean) => {
    const item = items[i]!;
    if (item.disabled) return;
    if (item.items) openSub(i, keyboard);
    else {
      close(true); // focus back on what opened the menu, so that a dialog opened next returns it there
      item.onSelect?.();
    }
  };
  const onKey = (e: KeyboardEvent) => {
    const n = items.length;
    const move = (d: number) => {
      e.preventDefault();
      setOpen(undefined);
      setActive((a) => (a + d + n) % n);
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(1);
      case 'ArrowUp':
        return move(-1);
      case 'Home':
        e.preventDefault();
        return setActive(0);
      case 'End':
        e.preventDefault();
        return setActive(n - 1);
      case 'ArrowRight':
        e.preventDefault();
        if (items[active]?.items && !items[active]!.disabled) openSub(active, true);
        return;
      case 'ArrowLeft':
        e.preventDefault();
        return onBack?.();
      case 'Escape':
        e.preventDefault();
        e.stopPropagation();
        return onBack ? onBack() : close(true);
      case 'Tab':
        e.preventDefault();
        return close(true);
      case 'Enter':
      case ' ':
        e.preventDefault();
        return choose(active, true);
      default:
        if (e.key.length === 1 && /\S/.test(e.key)) {
          const k = e.key.toLowerCase();
          const next = items.findIndex((it, i) => i > active && it.label.toLowerCase().startsWith(k));
          const first = items.findIndex((it) => it.label.toLowerCase().startsWith(k));
          const to = next >= 0 ? next : first;
          if (to >= 0) setActive(to);
        }
    }
  };
  return (
    <>
      <ul ref={ref} class="menu" role="menu" aria-label={label} style={{ left: `${pos.x}px`, top: `${pos.y}px` }} onKeyDown={(e) => e.target instanceof HTMLElement && e.target.parentElement?.parentElement === ref.current && onKey(e)}>
        {items.map((item, i) => (
          <li role="none" key={item.label}>
            <div
              role="menuitem"
              tabIndex={i === active ? 0 : -1}
              aria-disabled={item.disabled ? 'true' : undefined}
              aria-haspopup={item.items ? 'menu' : undefined}
              aria-expanded={item.items ? open?.index === i : undefined}
              title={item.note}
              class="menu-item"
              onMouseEnter={() => {
                setActive(i);
                if (item.items && !item.disabled) openSub(i, false);
                else setOpen(undefined);
              }}
              onClick={() => choose(i, false)}
            >
              <span>{item.label}</span>
              {item.note && <span class="menu-note">{item.note}</span>}
              {item.items && <span aria-hidden="true">▸</span>}
            </div>
          </li>
        ))}
      </ul>
      {open && (
        <MenuList
          key={open.index}
          items={items[open.index]!.items!}
          x={open.x}
          flipX={open.flipX}
          y={open.y}
          label={items[open.index]!.label}
          close={close}
          focusFirst={open.keyboard}
          onBack={() => {
            const i = open.index;
            setOpen(undefined);
            setActive(-1);
            setTimeout(() => setActive(i));
          }}
        />
      )}
    </>
  );
}
