import type { ReactNode } from 'react';
import type { Cursor } from './useCursor';

/** A column: its heading, right-aligned for numbers, or only for screen readers (`hidden`). */
export type Column = string | { label: string; num?: boolean; hidden?: boolean };

/** A table of the console: a caption for screen readers, column headings, then `children` (rows). */
export function Table({
  caption,
  columns,
  className,
  children,
}: {
  caption: string;
  columns: Column[];
  className?: string;
  children: ReactNode;
}) {
  return (
    <table className={className ? `admin-table ${className}` : 'admin-table'}>
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          {columns.map((c) => {
            const col = typeof c === 'string' ? { label: c } : c;
            return (
              <th key={col.label} scope="col" className={col.num ? 'num' : undefined}>
                {col.hidden ? <span className="sr-only">{col.label}</span> : col.label}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/**
 * First, previous and next page of a list read by a cursor: `pages` (useCursor) and the
 * cursor of the next page (none: this is the last). Nothing when there is one page.
 */
export function Pager<C>({ label, pages, next }: { label: string; pages: Cursor<C>; next: C | null | undefined }) {
  if (!pages.page && (next === null || next === undefined)) return null;
  return (
    <nav className="admin-pager" aria-label={`${label} pages`}>
      <button type="button" className="secondary" disabled={pages.page < 2} onClick={pages.first}>
        First page
      </button>
      <button type="button" className="secondary" disabled={!pages.page} onClick={pages.previous}>
        Previous page
      </button>
      <button
        type="button"
        className="secondary"
        disabled={next === null || next === undefined}
        onClick={() => next !== null && next !== undefined && pages.next(next)}
      >
        Next page
      </button>
    </nav>
  );
}
