import { useEffect, useState, type FormEvent } from 'react';
import type { Setting, Settings } from '../api/types';
import { ErrorAlert, Field, PageHeading, StatusMessage, SubmitButton } from '../components/forms';
import { errorMessage } from '../lib/errors';
import { knownTimeZones } from '../lib/format';
import { canChangeSettings } from '../lib/roles';
import { useAsyncData } from '../lib/useAsyncData';
import { useClient, useSession } from '../session';

/** Settings edited as one line of text; the scanner (a structured value) is set elsewhere. */
type SettingKey = Exclude<Setting['key'], 'scanner' | 'date_format' | 'standard_kit'>;

type Descriptor = {
  key: SettingKey;
  label: string;
  hint: string;
  type: 'text' | 'number' | 'url';
  list?: string;
};

const DESCRIPTORS: readonly Descriptor[] = [
  {
    key: 'lab_name',
    label: 'Lab name',
    hint: 'Shown in the header and on the sign-in screen.',
    type: 'text',
  },
  {
    key: 'display_timezone',
    label: 'Display time zone',
    hint: 'Times are stored in UTC and shown in this zone, e.g. Europe/Berlin.',
    type: 'text',
    list: 'time-zones',
  },
  {
    key: 'sample_label_printer',
    label: 'Sample label printer',
    hint: 'The printer (loaded with cryovial or 2" × 1" labels) sample labels go to. Leave empty for none.',
    type: 'text',
  },
  {
    key: 'box_label_printer',
    label: 'Box label printer',
    hint: 'The printer (loaded with 3" × 1" labels) box labels go to. Leave empty for none.',
    type: 'text',
  },
  {
    key: 'sample_label_code',
    label: 'Cryovial label code',
    hint: 'The 2D code on cryovial labels: data_matrix or qr.',
    type: 'text',
    list: 'sample-label-codes',
  },
  {
    key: 'label_copies',
    label: 'Label copies',
    hint: 'How many copies of each label to print by default.',
    type: 'number',
  },
  {
    key: 'auto_position',
    label: 'Auto-position strategy',
    hint: 'Where a tube goes in a box when no position is named: next_free (reading order) or keep_participant_together.',
    type: 'text',
    list: 'auto-positions',
  },
  {
    key: 'hub_url',
    label: 'Hub URL',
    hint: 'The central server this workstation syncs with. Leave empty to work stand-alone.',
    type: 'url',
  },
];

function currentText(settings: Settings, key: SettingKey): string {
  const value = settings[key];
  return value === null ? '' : String(value);
}

/** Turns the form's text into a typed setting, or returns a message saying what is wrong. */
function toSetting(key: SettingKey, raw: string): Setting | string {
  const text = raw.trim();
  const orNull = text === '' ? null : text;
  switch (key) {
    case 'lab_name':
      return { key, value: text };
    case 'display_timezone':
      return { key, value: text };
    case 'sample_label_printer':
      return { key, value: orNull };
    case 'box_label_printer':
      return { key, value: orNull };
    case 'sample_label_code': {
      if (text !== 'data_matrix' && text !== 'qr')
        return 'The cryovial label code must be data_matrix or qr.';
      return { key, value: text };
    }
    case 'hub_url':
      return { key, value: orNull };
    case 'auto_position': {
      if (text !== 'next_free' && text !== 'keep_participant_together')
        return 'Auto-position must be next_free or keep_participant_together.';
      return { key, value: text };
    }
    case 'label_copies': {
      if (!/^\d+$/.test(text)) return 'Label copies must be a whole number.';
      return { key, value: Number.parseInt(text, 10) };
    }
  }
}

export function SettingsPage() {
  const client = useClient();
  const session = useSession();
  const editable = canChangeSettings(session.user.role);
  // The shell's copy follows `settings_changed` events; load once here so the page works alone.
  const loaded = useAsyncData(() => client.getSettings(), [client]);
  const settings = session.settings ?? loaded.data;

  return (
    <section>
      <PageHeading>Settings</PageHeading>
      <p className="lead">
        {editable
          ? 'Each change is recorded in the audit trail with the reason you give.'
          : 'Only administrators and lab managers can change these settings.'}
      </p>
      <ErrorAlert message={settings ? null : loaded.error} />
      <datalist id="sample-label-codes">
        <option value="data_matrix" />
        <option value="qr" />
      </datalist>
      <datalist id="auto-positions">
        <option value="next_free" />
        <option value="keep_participant_together" />
      </datalist>
      <datalist id="time-zones">
        {knownTimeZones().map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {settings && (
        <div className="settings-list">
          {DESCRIPTORS.map((d) => (
            <SettingForm
              key={d.key}
              descriptor={d}
              current={currentText(settings, d.key)}
              editable={editable}
              onSaved={session.setSettings}
            />
          ))}
        </div>
      )}
      {!settings && loaded.loading && <p>Loading…</p>}
    </section>
  );
}

function SettingForm({
  descriptor,
  current,
  editable,
  onSaved,
}: {
  descriptor: Descriptor;
  current: string;
  editable: boolean;
  onSaved: (settings: Settings) => void;
}) {
  const client = useClient();
  const [value, setValue] = useState(current);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dirty, setDirty] = useState(false);

  // Follow changes made elsewhere (another window, an event) unless the user is editing.
  useEffect(() => {
    if (!dirty) setValue(current);
  }, [current, dirty]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    const setting = toSetting(descriptor.key, value);
    if (typeof setting === 'string') {
      setError(setting);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const saved = await client.changeSettings({ settings: [setting], reason });
      setReason('');
      setDirty(false);
      setValue(currentText(saved, descriptor.key));
      setDone(`${descriptor.label} saved.`);
      onSaved(saved);
    } catch (err: unknown) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const id = `setting-${descriptor.key.replace(/_/g, '-')}`;
  return (
    <form className="card setting-form" onSubmit={submit} data-testid={`${id}-form`}>
      <div className="setting-fields">
        <Field
          id={id}
          label={descriptor.label}
          type={descriptor.type}
          value={value}
          onChange={(v) => {
            setValue(v);
            setDirty(true);
            setDone(null);
          }}
          hint={descriptor.hint}
          list={descriptor.list}
          min={descriptor.type === 'number' ? 1 : undefined}
          disabled={!editable}
        />
        {editable && (
          <Field
            id={`${id}-reason`}
            label="Reason for the change"
            value={reason}
            onChange={setReason}
            required
            spellCheck
          />
        )}
      </div>
      {editable && (
        <>
          <ErrorAlert message={error} />
          <StatusMessage message={done} />
          <div className="form-actions">
            <SubmitButton busy={busy} busyLabel="Saving…" disabled={value === current}>
              Save {descriptor.label.toLowerCase()}
            </SubmitButton>
          </div>
        </>
      )}
    </form>
  );
}
