import { useState } from 'react';
import { ErrorAlert } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { useAsyncData } from '../../lib/useAsyncData';
import { useClient, useSession } from '../../session';
import { stateLabel } from '../runs/runWords';
import { readingWords, standingWords } from './resultWords';

const PER_PAGE = 10;

/** The runs this tube was on (its plate and well on each), a page at a time. */
export function SampleRuns({ sampleId, generation }: { sampleId: string; generation: number }) {
  const client = useClient();
  const { formatTime } = useSession();
  const [page, setPage] = useState(1);
  const runs = useAsyncData(
    () => client.run('list_sample_runs', { sample_id: sampleId, page, per_page: PER_PAGE }),
    [client, sampleId, page, generation],
  );
  const data = runs.data;
  return (
    <section
      className="sample-section"
      aria-labelledby="sample-runs-heading"
      data-testid="sample-runs"
    >
      <h2 id="sample-runs-heading">Runs</h2>
      <ErrorAlert message={runs.error} />
      {!data && runs.loading && <p className="muted">Loading the runs…</p>}
      {data && data.total === 0 && (
        <p className="empty-state">
          Not on any run yet: a run lists the tube once its plate holds it.
        </p>
      )}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-busy={runs.loading}>
            <caption className="visually-hidden">Runs this tube was on</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Instrument</th>
                <th scope="col">Plate and well</th>
                <th scope="col">Run stands</th>
                <th scope="col">Run created</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={`${r.run_id}:${r.plate_id}:${r.well}`} data-run={r.run_name}>
                  <td>
                    <a href={`#/run/${r.run_id}`}>{r.run_name}</a>
                  </td>
                  <td>{r.instrument_name}</td>
                  <td>
                    {r.plate_name} · {r.well}
                  </td>
                  <td>{stateLabel(r.state)}</td>
                  <td>
                    <time dateTime={r.created_at}>{formatTime(r.created_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Run pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={runs.loading}
        />
      )}
    </section>
  );
}

/**
 * The values recorded for this tube, as the instrument gave them, with whether each counts;
 * values a corrected file replaced are shown on request.
 */
export function SampleResults({ sampleId, generation }: { sampleId: string; generation: number }) {
  const client = useClient();
  const { formatTime } = useSession();
  const [page, setPage] = useState(1);
  const [replaced, setReplaced] = useState(false);
  const results = useAsyncData(
    () =>
      client.run('list_sample_results', {
        sample_id: sampleId,
        page,
        per_page: PER_PAGE,
        ...(replaced ? { include_superseded: true } : {}),
      }),
    [client, sampleId, page, replaced, generation],
  );
  const data = results.data;
  return (
    <section
      className="sample-section"
      aria-labelledby="sample-results-heading"
      data-testid="sample-results"
    >
      <h2 id="sample-results-heading">Results</h2>
      <div className="field field-checkbox">
        <label>
          <input
            type="checkbox"
            checked={replaced}
            onChange={(e) => {
              setReplaced(e.target.checked);
              setPage(1);
            }}
          />
          Show replaced values
        </label>
      </div>
      <ErrorAlert message={results.error} />
      {!data && results.loading && <p className="muted">Loading the results…</p>}
      {data && data.total === 0 && (
        <p className="empty-state">
          No result for this tube yet: values appear when a run it is on has its result file
          imported.
        </p>
      )}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-busy={results.loading}>
            <caption className="visually-hidden">
              Results of this tube{replaced ? ', replaced values included' : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Read</th>
                <th scope="col">Value</th>
                <th scope="col">Unit</th>
                <th scope="col">Counts?</th>
                <th scope="col">Run and well</th>
                <th scope="col">Imported</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr
                  key={`${r.import_id}:${r.well}:${r.read}`}
                  className={
                    r.standing === 'reported'
                      ? undefined
                      : `result-not-counted${r.standing === 'superseded' ? ' row-inactive' : ''}`
                  }
                  data-read={r.read}
                  data-standing={r.standing}
                >
                  <td>{r.read}</td>
                  <td className="result-value">{readingWords(r.value)}</td>
                  <td>{r.unit ?? ''}</td>
                  <td>
                    <span className={`result-standing standing-${r.standing}`}>
                      {standingWords(r.standing)}
                    </span>
                  </td>
                  <td>
                    <a href={`#/run/${r.run_id}`}>{r.run_name}</a>
                    <span className="muted">
                      {' '}
                      · {r.instrument_name} · {r.plate_name} {r.well}
                    </span>
                  </td>
                  <td>
                    <time dateTime={r.imported_at}>{formatTime(r.imported_at)}</time>
                    <span className="muted result-file"> from {r.file_name}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Result pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={results.loading}
        />
      )}
    </section>
  );
}

/** The values result sets produced elsewhere hold for this tube (an Olink export, a partner). */
export function SampleSetValues({
  sampleId,
  generation,
}: {
  sampleId: string;
  generation: number;
}) {
  const client = useClient();
  const { formatTime } = useSession();
  const [page, setPage] = useState(1);
  const values = useAsyncData(
    () => client.run('list_sample_set_values', { sample_id: sampleId, page, per_page: PER_PAGE }),
    [client, sampleId, page, generation],
  );
  const data = values.data;
  if (data && data.total === 0) return null;
  return (
    <section
      className="sample-section"
      aria-labelledby="sample-set-values-heading"
      data-testid="sample-set-values"
    >
      <h2 id="sample-set-values-heading">Results from result sets</h2>
      <ErrorAlert message={values.error} />
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-busy={values.loading}>
            <caption className="visually-hidden">Values result sets hold for this tube</caption>
            <thead>
              <tr>
                <th scope="col">Analyte</th>
                <th scope="col">Value</th>
                <th scope="col">Lab test</th>
                <th scope="col">Set</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((v, i) => (
                <tr key={`${v.set_id}:${i}`} data-analyte={v.analyte}>
                  <td>{v.analyte}</td>
                  <td>
                    {v.value ? readingWords(v.value) : 'no value'} {v.unit ?? ''}
                    {v.flag ? ` (${v.flag})` : ''}
                  </td>
                  <td>
                    {v.test_code
                      ? `${v.test_code}${v.converted !== null ? `: ${Number(v.converted.toPrecision(6))}` : ''}`
                      : '—'}
                  </td>
                  <td>
                    {v.set_name}
                    {v.partner ? ` from ${v.partner}` : ''},{' '}
                    <time dateTime={v.imported_at}>{formatTime(v.imported_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Result set value pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={values.loading}
        />
      )}
    </section>
  );
}
