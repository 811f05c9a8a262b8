import { useLastFeedback } from './ScanContext';

const ICONS = { accepted: '✓', refused: '✗', unknown: '?', warning: '!' } as const;

/**
 * The outcome of the last scan, large and coloured, where the eye lands after scanning.
 *
 * The refusal convention (every screen that shows a refusal follows it, so a test can find any
 * refusal's next step the same way): anything not accepted — refused, unknown, or taken with a
 * warning — shows its message and, in an element marked `data-next-step`, what to do next,
 * never empty (the caller's own next step, else the tone's general one from ScanContext).
 */
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
            {ICONS[last.tone]}
          </span>
          <span className="scan-feedback-text">
            {last.message}
            {last.nextStep && (
              <>
                {' '}
                <span className="scan-feedback-next" data-next-step="">
                  {last.nextStep}
                </span>
              </>
            )}
          </span>
        </>
      )}
    </div>
  );
}
