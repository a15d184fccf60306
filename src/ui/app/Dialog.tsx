// A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert, traps
// focus and closes on Escape; focus goes to the first field or button marked data-autofocus (else
// the first focusable element), and back to what had it when the dialog closes.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

export interface DialogProps {
  title: string;
  /** Escape and the close button call this; omit it for a dialog that cannot be dismissed (progress). */
  onClose?: () => void;
  children: ComponentChildren;
  /** role="alertdialog" for errors and confirmations. */
  alert?: boolean;
  footer?: ComponentChildren;
  wide?: boolean;
}

export function Dialog({ title, onClose, children, alert, footer, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const d = ref.current!;
    const previous = document.activeElement as HTMLElement | null;
    d.showModal();
    const first = d.querySelector<HTMLElement>('[data-autofocus]') ?? d.querySelector<HTMLElement>('input, select, button, [href], [tabindex]:not([tabindex="-1"])');
    first?.focus();
    return () => {
      d.close();
      if (previous && document.contains(previous)) previous.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`dialog${wide ? ' dialog-wide' : ''}`}
      role={alert ? 'alertdialog' : 'dialog'}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault(); // the owner decides whether it closes
        onClose?.();
      }}
    >
      <div class="dialog-title">
        <h2 id={titleId}>{title}</h2>
        {onClose && (
          <button type="button" class="icon-button" aria-label="Close dialog" onClick={onClose}>
            ×
          </button>
        )}
      </div>
      <div class="dialog-body" id={bodyId}>
        {children}
      </div>
      {footer && <div class="dialog-footer">{footer}</div>}
    </dialog>
  );
}
