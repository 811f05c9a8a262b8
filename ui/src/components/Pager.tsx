import { count } from '../lib/words';

type PagerProps = {
  label: string;
  page: number;
  totalPages: number;
  total: number;
  onPage: (page: number) => void;
  disabled?: boolean;
};

/** Previous/next paging for the core's 1-based `Page<T>`. */
export function Pager({ label, page, totalPages, total, onPage, disabled }: PagerProps) {
  const last = Math.max(totalPages, 1);
  return (
    <nav className="pager" aria-label={label}>
      <button
        type="button"
        className="button button-secondary"
        onClick={() => onPage(page - 1)}
        disabled={disabled || page <= 1}
      >
        ← Previous
      </button>
      <span className="pager-info" aria-live="polite">
        Page {Math.min(page, last)} of {last} · {count(total, 'entry', 'entries')}
      </span>
      <button
        type="button"
        className="button button-secondary"
        onClick={() => onPage(page + 1)}
        disabled={disabled || page >= last}
      >
        Next →
      </button>
    </nav>
  );
}
