import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { KitTemplateRecord, SettingChoices, Settings } from '../api/types';
import { ErrorAlert, Field, PageHeading, StatusMessage, SubmitButton } from '../components/forms';
import { errorMessage } from '../lib/errors';
import { whoCan } from '../lib/roles';
import { useAsyncData } from '../lib/useAsyncData';
import { count } from '../lib/words';
import { useClient, useSession } from '../session';
import {
  AUTO_POSITION_HINTS,
  AUTO_POSITION_LABELS,
  FILL_ORDER_LABELS,
  changeSet,
  CODE_LABELS,
  COPIES,
  copiesText,
  dateFormatText,
  describeChanges,
  formOf,
  kitName,
  refusedSetting,
  SETTING_LABELS,
  zoneGroups,
  zoneLabel,
  type FormKey,
  type SettingsForm,
} from './settingsForm';
import { PICKER_PAGE } from '../lib/paging';
import './settings.css';

/**
 * The lab's settings: fixed sets are chosen from the core's lists (`setting_choices`, the kit
 * templates), never typed; every change on the screen is saved together, with one reason, in
 * one `change_settings` call. Label printers are set in one place, Printing → Label routing.
 */
export function SettingsPage() {
  const client = useClient();
  const session = useSession();
  const editable = session.can('change_settings');
  // The shell's copy follows `settings_changed` events; load once here so the page works alone.
  const loaded = useAsyncData(() => client.getSettings(), [client]);
  const choices = useAsyncData(() => client.run('setting_choices', {}), [client]);
  const kits = useAsyncData(
    () => client.run('list_kit_templates', PICKER_PAGE).then((p) => p.items),
    [client],
  );
  const settings = session.settings ?? loaded.data;

  return (
    <section className="settings-page">
      <PageHeading>Settings</PageHeading>
      <p className="lead">
        {editable
          ? 'Change what you need, give one reason, and save: the changes are saved together and recorded in the audit trail with that reason.'
          : `The lab’s settings. Changing them is for ${whoCan('change_settings')}.`}
      </p>
      <ErrorAlert message={settings ? (choices.error ?? kits.error) : loaded.error} />
      {settings && (
        <SettingsEditor
          settings={settings}
          choices={choices.data}
          kits={kits.data ?? []}
          kitsLoaded={kits.data !== null}
          editable={editable}
          onSaved={session.setSettings}
        />
      )}
      {!settings && loaded.loading && <p className="loading">Loading…</p>}
    </section>
  );
}

type FieldError = { key: FormKey; message: string } | null;

function SettingsEditor({
  settings,
  choices,
  kits,
  kitsLoaded,
  editable,
  onSaved,
}: {
  settings: Settings;
  choices: SettingChoices | null;
  kits: readonly KitTemplateRecord[];
  kitsLoaded: boolean;
  editable: boolean;
  onSaved: (settings: Settings) => void;
}) {
  const client = useClient();
  const { can } = useSession();
  const [form, setForm] = useState<SettingsForm>(() => formOf(settings));
  const [dirty, setDirty] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<FieldError>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Follow changes saved elsewhere (another window, an event) unless the user is editing.
  useEffect(() => {
    if (!dirty) setForm(formOf(settings));
  }, [settings, dirty]);

  function set<K extends FormKey>(key: K, value: SettingsForm[K]) {
    setForm((f) => ({ ...f, [key]: value }));
    setDirty(true);
    setDone(null);
    if (fieldError?.key === key) {
      setFieldError(null);
      setError(null);
    }
  }

  const dateExamples = Object.fromEntries(
    (choices?.date_formats ?? []).map((c) => [c.format, c.example]),
  );
  const words = { kits, dateExamples };
  const changes = changeSet(settings, form);
  const described = describeChanges(settings, changes, words);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    if (changes.length === 0) return;
    if (reason.trim() === '') {
      setFieldError(null);
      setError('Give the reason for the change; it is recorded in the audit trail.');
      return;
    }
    setBusy(true);
    setError(null);
    setFieldError(null);
    try {
      const saved = await client.changeSettings({ settings: changes, reason: reason.trim() });
      onSaved(saved);
      setForm(formOf(saved));
      setDirty(false);
      setReason('');
      setDone(`Saved: ${described.map((c) => c.label.toLowerCase()).join(', ')}.`);
    } catch (err: unknown) {
      // The set is all or none: a refusal leaves every setting as it was.
      const message = errorMessage(err);
      const refused = refusedSetting(message);
      setFieldError(refused);
      setError(`Nothing was saved. ${refused ? refused.message : message}`);
    } finally {
      setBusy(false);
    }
  }

  const errorFor = (key: FormKey) => (fieldError?.key === key ? fieldError.message : null);
  const standardMissing =
    kitsLoaded && form.standard_kit !== '' && !kits.some((k) => k.id === form.standard_kit);

  return (
    <form onSubmit={submit} noValidate data-testid="settings-form">
      <fieldset className="card settings-card">
        <legend>The lab</legend>
        <Row
          id="setting-lab-name"
          label={SETTING_LABELS.lab_name}
          error={errorFor('lab_name')}
          hint="Shown in the header and on the sign-in screen."
        >
          {(describedBy, invalid) => (
            <input
              id="setting-lab-name"
              type="text"
              value={form.lab_name}
              onChange={(e) => set('lab_name', e.target.value)}
              disabled={!editable}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              autoComplete="off"
              spellCheck
            />
          )}
        </Row>
      </fieldset>

      <fieldset className="card settings-card">
        <legend>Dates and times</legend>
        <Row
          id="setting-time-zone"
          label={SETTING_LABELS.display_timezone}
          error={errorFor('display_timezone')}
          hint="Times are stored in UTC and shown on every screen in this zone."
        >
          {(describedBy, invalid) => (
            <select
              id="setting-time-zone"
              value={form.display_timezone}
              onChange={(e) => set('display_timezone', e.target.value)}
              disabled={!editable || !choices}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              {choices ? (
                zoneGroups(choices.time_zones).map((g) => (
                  <optgroup key={g.region} label={g.region}>
                    {g.zones.map((zone) => (
                      <option key={zone} value={zone}>
                        {zoneLabel(zone)}
                      </option>
                    ))}
                  </optgroup>
                ))
              ) : (
                <option value={form.display_timezone}>{form.display_timezone}</option>
              )}
            </select>
          )}
        </Row>
        <Row
          id="setting-date-format"
          label={SETTING_LABELS.date_format}
          error={errorFor('date_format')}
          hint="How dates are written on every screen. Times are always on a 24-hour clock."
        >
          {(describedBy, invalid) => (
            <select
              id="setting-date-format"
              value={form.date_format}
              onChange={(e) => {
                const chosen = choices?.date_formats.find((c) => c.format === e.target.value);
                if (chosen) set('date_format', chosen.format);
              }}
              disabled={!editable || !choices}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              {(choices?.date_formats ?? [{ format: form.date_format, example: '' }]).map((c) => (
                <option key={c.format} value={c.format}>
                  {dateFormatText(c.format, c.example || undefined)}
                </option>
              ))}
            </select>
          )}
        </Row>
      </fieldset>

      <fieldset className="card settings-card">
        <legend>Desk and storage</legend>
        <Row
          id="setting-standard-kit"
          label={SETTING_LABELS.standard_kit}
          error={errorFor('standard_kit')}
          hint={
            standardMissing
              ? 'The chosen kit template is no longer listed: choose another, or none.'
              : 'The kit the registration desk starts with.'
          }
        >
          {(describedBy, invalid) => (
            <select
              id="setting-standard-kit"
              value={form.standard_kit}
              onChange={(e) => set('standard_kit', e.target.value)}
              disabled={!editable || !kitsLoaded}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              <option value="">None: the desk starts with the first kit listed</option>
              {kits.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.name}
                </option>
              ))}
              {form.standard_kit !== '' && !kits.some((k) => k.id === form.standard_kit) && (
                <option value={form.standard_kit}>{kitName(form.standard_kit, kits)}</option>
              )}
            </select>
          )}
        </Row>
        <Row
          id="setting-auto-position"
          label={SETTING_LABELS.auto_position}
          error={errorFor('auto_position')}
          hint={AUTO_POSITION_HINTS[form.auto_position]}
        >
          {(describedBy, invalid) => (
            <select
              id="setting-auto-position"
              value={form.auto_position}
              onChange={(e) => {
                const chosen = choices?.auto_positions.find((a) => a === e.target.value);
                if (chosen) set('auto_position', chosen);
              }}
              disabled={!editable || !choices}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              {(choices?.auto_positions ?? [form.auto_position]).map((a) => (
                <option key={a} value={a}>
                  {AUTO_POSITION_LABELS[a]}
                </option>
              ))}
            </select>
          )}
        </Row>
        <Row
          id="setting-plate-fill-order"
          label={SETTING_LABELS.plate_fill_order}
          error={errorFor('plate_fill_order')}
          hint="Where the next scanned tube goes on a plate; a clicked well still comes first."
        >
          {(describedBy, invalid) => (
            <select
              id="setting-plate-fill-order"
              value={form.plate_fill_order}
              onChange={(e) => {
                const chosen = (['columns', 'rows'] as const).find((o) => o === e.target.value);
                if (chosen) set('plate_fill_order', chosen);
              }}
              disabled={!editable}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              {(['columns', 'rows'] as const).map((o) => (
                <option key={o} value={o}>
                  {FILL_ORDER_LABELS[o]}
                </option>
              ))}
            </select>
          )}
        </Row>
      </fieldset>

      <fieldset className="card settings-card">
        <legend>Labels</legend>
        <Row
          id="setting-label-code"
          label={SETTING_LABELS.sample_label_code}
          error={errorFor('sample_label_code')}
          hint="The 2D code printed on cryovial labels."
        >
          {(describedBy, invalid) => (
            <select
              id="setting-label-code"
              value={form.sample_label_code}
              onChange={(e) => {
                const chosen = choices?.sample_label_codes.find((c) => c === e.target.value);
                if (chosen) set('sample_label_code', chosen);
              }}
              disabled={!editable || !choices}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              {(choices?.sample_label_codes ?? [form.sample_label_code]).map((c) => (
                <option key={c} value={c}>
                  {CODE_LABELS[c]}
                </option>
              ))}
            </select>
          )}
        </Row>
        <Row
          id="setting-label-copies"
          label={SETTING_LABELS.label_copies}
          error={errorFor('label_copies')}
          hint="How many copies of each label are printed."
        >
          {(describedBy, invalid) => (
            <select
              id="setting-label-copies"
              value={String(form.label_copies)}
              onChange={(e) => {
                const n = COPIES.find((c) => String(c) === e.target.value);
                if (n !== undefined) set('label_copies', n);
              }}
              disabled={!editable}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            >
              {COPIES.map((n) => (
                <option key={n} value={String(n)}>
                  {copiesText(n)}
                </option>
              ))}
            </select>
          )}
        </Row>
        <div className="settings-routing" data-testid="settings-routing">
          <h3>Label printers</h3>
          <dl className="facts">
            <dt>Sample labels go to</dt>
            <dd>{settings.sample_label_printer ?? 'no printer yet'}</dd>
            <dt>Box labels go to</dt>
            <dd>{settings.box_label_printer ?? 'no printer yet'}</dd>
          </dl>
          {can('configure_devices') ? (
            <a className="button button-secondary" href="#/printing/routing">
              Change label routing
            </a>
          ) : (
            <p className="hint">
              Set under Printing → Label routing by {whoCan('configure_devices')}.
            </p>
          )}
        </div>
      </fieldset>

      {editable && (
        <div className="card settings-save" data-testid="settings-save">
          <h2>
            {changes.length === 0 ? 'No changes yet' : `${count(changes.length, 'change')} to save`}
          </h2>
          {described.length > 0 ? (
            <ul className="settings-changes" data-testid="settings-changes">
              {described.map((c) => (
                <li key={c.key} data-key={c.key}>
                  <strong>{c.label}</strong>: {c.from} → {c.to}
                </li>
              ))}
            </ul>
          ) : (
            <p className="hint">Change any of the settings above; what will change shows here.</p>
          )}
          <Field
            id="settings-reason"
            label="Reason for the change"
            value={reason}
            onChange={setReason}
            hint="One reason for all of these changes, recorded in the audit trail with each."
            spellCheck
          />
          <ErrorAlert message={error} testId="settings-error" />
          <StatusMessage message={done} testId="settings-saved" />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Saving…" disabled={changes.length === 0}>
              Save changes
            </SubmitButton>
            {changes.length > 0 && (
              <button
                type="button"
                className="button button-secondary"
                onClick={() => {
                  setForm(formOf(settings));
                  setDirty(false);
                  setError(null);
                  setFieldError(null);
                }}
              >
                Undo my changes
              </button>
            )}
          </div>
        </div>
      )}
    </form>
  );
}

/** One setting: its label, its control, a hint and, after a refusal, what is wrong with it. */
function Row({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint: string;
  error: string | null;
  children: (describedBy: string, invalid: boolean) => ReactNode;
}) {
  const describedBy = error ? `${id}-error ${id}-hint` : `${id}-hint`;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children(describedBy, error !== null)}
      {error && (
        <p className="field-error" id={`${id}-error`} data-testid={`${id}-error`}>
          {error}
        </p>
      )}
      <p className="hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}
