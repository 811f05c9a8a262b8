import { useEffect, useState } from 'react';

/**
 * A progress bar for anything that takes longer than a second: nothing for quick calls (no
 * flicker), then a labelled bar, so nobody wonders whether the scan or the click was taken.
 * Without a `value` the bar is indeterminate.
 */
export function Working({
  busy,
  label,
  value,
  max,
}: {
  busy: boolean;
  label: string;
  value?: number;
  max?: number;
}) {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!busy) {
      setShown(false);
      return undefined;
    }
    const timer = window.setTimeout(() => setShown(true), 1000);
    return () => window.clearTimeout(timer);
  }, [busy]);
  if (!busy || !shown) return null;
  return (
    <div className="working" role="status" data-testid="working">
      <progress value={value} max={max} aria-label={label} />
      <span>{label}</span>
    </div>
  );
}
