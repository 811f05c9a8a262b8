import { useLastFeedback } from './ScanContext';

/** The outcome of the last scan, large and coloured, where the eye lands after scanning. */
export function ScanFeedbackBar() {
  const last = useLastFeedback();
  return (
    <div
      className={last ? `scan-feedback scan-feedback-${last.tone}` : 'scan-feedback-empty'}
      role={last && last.tone !== 'accepted' ? 'alert' : 'status'}
      data-testid="scan-feedback"
      data-tone={last?.tone}
      key={last?.at}
    >
      {last && (
        <>
          <span className="scan-feedback-icon" aria-hidden="true">
            {last.tone === 'accepted' ? '✓' : last.tone === 'unknown' ? '?' : '✗'}
          </span>
          {last.message}
        </>
      )}
    </div>
  );
}
