import { useState } from 'react';
import type { ResultSetRecord, SetValueFilter, SetValueRecord } from '../../api/types';
import { ErrorAlert, Field, SelectField } from '../../components/forms';
import { Pager } from '../../components/Pager';
import { useAsyncData } from '../../lib/useAsyncData';
import { useNavigate } from '../../router';
import { useClient } from '../../session';
import { convertedWords, FILTERS, valueWords } from './resultSetWords';

const PER_PAGE = 50;

/**
 * The values of one result set, a page at a time: all of them, or only those whose code is
 * none of the lab's tubes, or only a partner's codes with no mapping to the lab's tests.
 */
export function SetValues({ set, onClose }: { set: ResultSetRecord; onClose: () => void }) {
  const client = useClient();
  const navigate = useNavigate();
  const [filter, setFilter] = useState<SetValueFilter>('all');
  const [analyte, setAnalyte] = useState('');
  const [page, setPage] = useState(1);
  const values = useAsyncData(
    () =>
      client.run('list_set_values', {
        set_id: set.id,
        page,
        per_page: PER_PAGE,
        ...(filter !== 'all' ? { filter } : {}),
        ...(analyte.trim() ? { analyte: analyte.trim() } : {}),
      }),
    [client, set.id, page, filter, analyte],
  );
  const data = values.data;
  const filtered = filter !== 'all' || analyte.trim() !== '';
  return (
    <div className="card set-values" data-testid="set-values">
      <h2>Values of {set.name}</h2>
      <p className="hint">
        {set.file_name}
        {set.partner ? ` from ${set.partner}` : ''}. A code that is none of the lab’s tubes is kept
        as written, not linked; a partner’s code with no mapping is kept, not converted.
      </p>
      <div className="toolbar">
        <SelectField
          id="set-values-filter"
          label="Show"
          value={filter}
          onChange={(v) => {
            setFilter(v);
            setPage(1);
          }}
          options={FILTERS}
        />
        <Field
          id="set-values-analyte"
          label="Analyte starts with"
          value={analyte}
          onChange={(v) => {
            setAnalyte(v);
            setPage(1);
          }}
        />
        <button type="button" className="button button-secondary" onClick={onClose}>
          Hide the values
        </button>
      </div>
      <ErrorAlert message={values.error} />
      {data && data.total === 0 && (
        <p className="empty-state">
          {filtered ? 'No value matches these filters.' : 'This set holds no value.'}
        </p>
      )}
      {data && data.total > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-busy={values.loading}>
            <caption className="visually-hidden">Values of {set.name}</caption>
            <thead>
              <tr>
                <th scope="col">Sample code</th>
                <th scope="col">Analyte</th>
                <th scope="col">Value</th>
                <th scope="col">Unit</th>
                <th scope="col">Flag</th>
                <th scope="col">Lab test</th>
                <th scope="col">Converted value</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((v: SetValueRecord, i) => (
                <tr
                  key={`${v.sample_code}-${v.analyte}-${i}`}
                  data-code={v.sample_code}
                  className={v.sample_id === null && !v.control ? 'row-unknown-code' : undefined}
                >
                  <td>
                    {v.sample_id !== null ? (
                      <a
                        className="set-code"
                        href={`#/sample/${v.sample_id}`}
                        onClick={(e) => {
                          e.preventDefault();
                          if (v.sample_id !== null) navigate({ page: 'sample', id: v.sample_id });
                        }}
                      >
                        {v.sample_code}
                      </a>
                    ) : (
                      <span className="set-code">{v.sample_code}</span>
                    )}
                    {v.control ? (
                      <span className="hint"> (control)</span>
                    ) : (
                      v.sample_id === null && (
                        <span className="hint"> (none of the lab’s tubes)</span>
                      )
                    )}
                  </td>
                  <td>{v.analyte}</td>
                  <td>{valueWords(v.value)}</td>
                  <td>{v.unit ?? ''}</td>
                  <td>{v.flag ?? ''}</td>
                  <td>{v.test_code ?? (set.partner ? 'no mapping' : '—')}</td>
                  <td>{convertedWords(v.converted)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.total_pages > 1 && (
        <Pager
          label="Value pages"
          page={page}
          totalPages={data.total_pages}
          total={data.total}
          onPage={setPage}
          disabled={values.loading}
        />
      )}
    </div>
  );
}
