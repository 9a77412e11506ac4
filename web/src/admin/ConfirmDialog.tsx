import { useId, type ReactNode } from 'react';
import { useDialogFocus } from '../dialog';

/**
 * A modal question before a destructive action: Cancel (focused first, Escape) or confirm,
 * which hands over the fields `body` holds (uncontrolled inputs, read by name).
 */
export function ConfirmDialog({
  title,
  body,
  confirm,
  danger,
  onConfirm,
  onCancel,
}: {
  title: string;
  body?: ReactNode;
  confirm: string;
  danger?: boolean;
  onConfirm: (form: FormData) => void;
  onCancel: () => void;
}) {
  const cancelRef = useDialogFocus(onCancel);
  const titleId = useId();
  return (
    <div className="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && onCancel()}>
      <div className="dialog admin-confirm" role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <form
          className="dialog-body"
          onSubmit={(e) => {
            e.preventDefault();
            onConfirm(new FormData(e.currentTarget));
          }}
        >
          <h3 id={titleId}>{title}</h3>
          {body}
          <div className="admin-confirm-actions">
            <button type="button" className="secondary" ref={cancelRef} onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className={danger ? 'danger' : undefined}>
              {confirm}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
