import { useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import type { LabelGroup, LabelSheet, LabelStock, SheetPaper } from '../../api/types';
import { Dialog } from '../../components/Dialog';
import { ErrorAlert, SelectField } from '../../components/forms';
import { errorMessage } from '../../lib/errors';
import { count } from '../../lib/words';
import { useClient } from '../../session';
import './labelSheet.css';

const PAPERS: readonly { value: SheetPaper; label: string }[] = [
  { value: 'a4', label: 'A4' },
  { value: 'letter', label: 'US Letter' },
];

const SAMPLE_STOCKS: readonly { value: LabelStock; label: string }[] = [
  { value: 'cryovial', label: 'Cryovial labels, 1" × ½" (96 on a sheet)' },
  { value: 'tube_2x1', label: 'Tube labels, 2" × 1"' },
];

const BOX_STOCKS: readonly { value: LabelStock; label: string }[] = [
  { value: 'box_3x1', label: 'Box labels, 3" × 1"' },
];

/**
 * Labels on sheets of label stock in an office printer, for when there is no label printer at
 * hand: "Print…" opens the system's print dialog on the sheets (which can also print to a
 * PDF file); "Save the PDF" keeps the core's PDF of them. Either way, print at 100 % (actual
 * size): scaled to fit, the labels miss the stock's cells.
 */
export function LabelSheetDialog({
  labels,
  kind,
  onClose,
}: {
  labels: LabelGroup;
  kind: 'sample' | 'box';
  onClose: () => void;
}) {
  const client = useClient();
  const stocks = kind === 'sample' ? SAMPLE_STOCKS : BOX_STOCKS;
  const [paper, setPaper] = useState<SheetPaper>('a4');
  const [stock, setStock] = useState<LabelStock>(stocks[0]?.value ?? 'cryovial');
  const [sheet, setSheet] = useState<LabelSheet | null>(null);
  const [error, setError] = useState<string | null>(null);
  const group = JSON.stringify(labels);

  useEffect(() => {
    let current = true;
    setSheet(null);
    setError(null);
    client.run('label_sheet', { labels: JSON.parse(group) as LabelGroup, paper, stock }).then(
      (s) => {
        if (current) setSheet(s);
      },
      (e: unknown) => {
        if (current) setError(errorMessage(e));
      },
    );
    return () => {
      current = false;
    };
  }, [client, group, paper, stock]);

  function savePdf() {
    if (!sheet) return;
    const bytes = Uint8Array.from(atob(sheet.pdf_base64), (c) => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = sheet.file_name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  return (
    <Dialog title="Print labels on a sheet" onClose={onClose} testId="label-sheet-dialog">
      <p className="hint">
        For an office printer loaded with sheets of label stock. Print at 100 % (“actual size”), not
        “fit to page”, or the labels miss the stock.
      </p>
      <SelectField
        id="sheet-paper"
        label="Paper"
        value={paper}
        onChange={setPaper}
        options={PAPERS}
      />
      <SelectField
        id="sheet-stock"
        label="Labels on the sheet"
        value={stock}
        onChange={setStock}
        options={stocks}
      />
      <ErrorAlert message={error} testId="label-sheet-error" />
      <p data-testid="label-sheet-summary" aria-live="polite">
        {sheet
          ? `${count(sheet.cells.length, 'label')} of ${sheet.subject} on ${count(sheet.pages, 'page')} (${sheet.sheet}).`
          : !error && 'Laying out the labels…'}
      </p>
      <div className="form-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={!sheet}
          onClick={() => window.print()}
        >
          Print…
        </button>
        <button
          type="button"
          className="button button-secondary"
          disabled={!sheet}
          onClick={savePdf}
        >
          Save the PDF
        </button>
        <button type="button" className="button button-secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {sheet && createPortal(<PrintedSheets sheet={sheet} />, document.body)}
    </Dialog>
  );
}

/** The sheets as the print dialog gets them: hidden on screen, alone on paper. */
function PrintedSheets({ sheet }: { sheet: LabelSheet }) {
  const pages = Array.from({ length: sheet.pages }, (_, i) => i);
  // The paper's size, for as long as the sheets are there. A constructed style sheet, since
  // the content security policy refuses <style> elements (style-src 'self').
  useEffect(() => {
    const paper = new CSSStyleSheet();
    paper.replaceSync(
      `@page { size: ${sheet.page_width_mm}mm ${sheet.page_height_mm}mm; margin: 0; }`,
    );
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, paper];
    return () => {
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== paper);
    };
  }, [sheet.page_width_mm, sheet.page_height_mm]);
  return (
    <div className="print-sheets" data-testid="print-sheets">
      {pages.map((page) => (
        <div
          key={page}
          className="print-sheet-page"
          style={{ width: `${sheet.page_width_mm}mm`, height: `${sheet.page_height_mm}mm` }}
        >
          {sheet.cells
            .filter((c) => c.page === page)
            .map((c, i) => (
              <img
                key={`${c.record}-${i}`}
                className="print-sheet-label"
                alt=""
                src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(c.svg)}`}
                style={{
                  left: `${c.left_mm}mm`,
                  top: `${c.top_mm}mm`,
                  width: `${sheet.label_width_mm}mm`,
                  height: `${sheet.label_height_mm}mm`,
                }}
              />
            ))}
        </div>
      ))}
    </div>
  );
}
