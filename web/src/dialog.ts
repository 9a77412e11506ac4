import { useEffect, useRef } from 'react';

/**
 * A modal dialog's focus: its close button takes focus when it opens, Escape closes it, and
 * focus goes back to what had it before once it closes. Returns the ref for the close button.
 */
export function useDialogFocus(onClose: () => void) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      opener?.focus?.();
    };
  }, [onClose]);
  return close;
}
