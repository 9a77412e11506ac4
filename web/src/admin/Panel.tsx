import { useId, type ReactNode } from 'react';

/**
 * A panel of a view: a region named by its heading, with the heading's buttons (`actions`,
 * and Refresh when `onRefresh` is given) beside it.
 */
export function Panel({
  title,
  onRefresh,
  actions,
  className,
  children,
}: {
  title: string;
  onRefresh?: () => void;
  actions?: ReactNode;
  className?: string;
  children?: ReactNode;
}) {
  const id = useId();
  const heading = <h2 id={id}>{title}</h2>;
  return (
    <section className={className ? `admin-panel ${className}` : 'admin-panel'} aria-labelledby={id}>
      {onRefresh || actions ? (
        <div className="admin-panel-head">
          {heading}
          <div className="admin-actions">
            {actions}
            {onRefresh && (
              <button type="button" className="secondary" onClick={onRefresh}>
                Refresh
              </button>
            )}
          </div>
        </div>
      ) : (
        heading
      )}
      {children}
    </section>
  );
}
