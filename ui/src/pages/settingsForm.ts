// The settings screen's change set: the form's values, the typed settings that differ from
// the lab's current ones (only those are sent, in one `change_settings` call with one reason),
// and the words for showing what will change before it is saved.

import type {
  AutoPosition,
  DateFormat,
  FillOrder,
  KitTemplateRecord,
  SampleLabelCode,
  Setting,
  Settings,
} from '../api/types';

/** What the settings screen edits. Printers and the scanner are set on the Printing page. */
export type SettingsForm = {
  lab_name: string;
  display_timezone: string;
  date_format: DateFormat;
  auto_position: AutoPosition;
  plate_fill_order: FillOrder;
  sample_label_code: SampleLabelCode;
  label_copies: number;
  /** A kit template's id, or '' for none. */
  standard_kit: string;
};

export type FormKey = keyof SettingsForm;

/** The order the fields appear in, and the order of a change set. */
export const FORM_KEYS: readonly FormKey[] = [
  'lab_name',
  'display_timezone',
  'date_format',
  'auto_position',
  'plate_fill_order',
  'standard_kit',
  'sample_label_code',
  'label_copies',
];

/** Each setting's name on the screen (and in "what will change"). */
export const SETTING_LABELS: Record<Setting['key'], string> = {
  lab_name: 'Lab name',
  display_timezone: 'Time zone',
  date_format: 'Date format',
  auto_position: 'Where a tube goes in a box',
  plate_fill_order: 'The order scanned tubes fill a plate',
  standard_kit: 'Standard kit',
  sample_label_code: 'Code on cryovial labels',
  label_copies: 'Copies of each label',
  sample_label_printer: 'Sample label printer',
  box_label_printer: 'Box label printer',
  scanner: 'Scanner',
};

export const DATE_FORMAT_WORDS: Record<DateFormat, string> = {
  year_month_day: 'year-month-day',
  day_month_year_dots: 'day.month.year',
  day_month_year_slashes: 'day/month/year',
  month_day_year_slashes: 'month/day/year',
};

export const AUTO_POSITION_LABELS: Record<AutoPosition, string> = {
  next_free: 'Next free position',
  keep_participant_together: 'Keep a participant’s tubes together',
};

export const AUTO_POSITION_HINTS: Record<AutoPosition, string> = {
  next_free: 'A tube placed without a position goes to the first free one, in reading order.',
  keep_participant_together:
    'A participant’s tubes go side by side: the first free run with room for all of them, then the free position nearest the others.',
};

export const FILL_ORDER_LABELS: Record<FillOrder, string> = {
  columns: 'Down the columns: A1, B1 … H1, A2',
  rows: 'Along the rows: A1, A2 … A12, B1',
};

export const CODE_LABELS: Record<SampleLabelCode, string> = {
  data_matrix: 'DataMatrix',
  qr: 'QR code',
};

/** Label copies the core accepts (`Setting::LabelCopies`, 1 to 10). */
export const COPIES: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

export function copiesText(n: number): string {
  return n === 1 ? '1 copy' : `${n} copies`;
}

export function formOf(settings: Settings): SettingsForm {
  return {
    lab_name: settings.lab_name,
    display_timezone: settings.display_timezone,
    date_format: settings.date_format,
    auto_position: settings.auto_position,
    plate_fill_order: settings.plate_fill_order,
    sample_label_code: settings.sample_label_code,
    label_copies: settings.label_copies,
    standard_kit: settings.standard_kit ?? '',
  };
}

/**
 * The settings the form changes, typed as the core takes them, in screen order: a key is in
 * the set only if its value differs from the lab's current one. Text is trimmed (the core
 * trims too), and an empty standard kit means none. An emptied lab name is
 * sent as it is: the core refuses it and says why, and then nothing of the set is saved.
 */
export function changeSet(settings: Settings, form: SettingsForm): Setting[] {
  const changes: Setting[] = [];
  const orNull = (text: string) => (text.trim() === '' ? null : text.trim());
  for (const key of FORM_KEYS) {
    switch (key) {
      case 'lab_name':
        if (form.lab_name.trim() !== settings.lab_name)
          changes.push({ key, value: form.lab_name.trim() });
        break;
      case 'display_timezone':
        if (form.display_timezone !== settings.display_timezone)
          changes.push({ key, value: form.display_timezone });
        break;
      case 'date_format':
        if (form.date_format !== settings.date_format)
          changes.push({ key, value: form.date_format });
        break;
      case 'auto_position':
        if (form.auto_position !== settings.auto_position)
          changes.push({ key, value: form.auto_position });
        break;
      case 'plate_fill_order':
        if (form.plate_fill_order !== settings.plate_fill_order)
          changes.push({ key, value: form.plate_fill_order });
        break;
      case 'standard_kit':
        if (orNull(form.standard_kit) !== settings.standard_kit)
          changes.push({ key, value: orNull(form.standard_kit) });
        break;
      case 'sample_label_code':
        if (form.sample_label_code !== settings.sample_label_code)
          changes.push({ key, value: form.sample_label_code });
        break;
      case 'label_copies':
        if (form.label_copies !== settings.label_copies)
          changes.push({ key, value: form.label_copies });
        break;
    }
  }
  return changes;
}

/** What the screen knows to put a value into words. */
export type Words = {
  kits: readonly KitTemplateRecord[];
  /** Each date format with today written in it, from `setting_choices`. */
  dateExamples: Partial<Record<DateFormat, string>>;
};

export function kitName(id: string | null, kits: readonly KitTemplateRecord[]): string {
  if (id === null || id === '') return 'none';
  return kits.find((k) => k.id === id)?.name ?? 'a kit template no longer listed';
}

export function dateFormatText(format: DateFormat, example?: string): string {
  return example ? `${example} (${DATE_FORMAT_WORDS[format]})` : DATE_FORMAT_WORDS[format];
}

/** A setting's value in words, as the screen shows it. */
export function valueText(setting: Setting, words: Words): string {
  switch (setting.key) {
    case 'lab_name':
      return setting.value === '' ? 'empty' : `“${setting.value}”`;
    case 'display_timezone':
      return setting.value;
    case 'date_format':
      return dateFormatText(setting.value, words.dateExamples[setting.value]);
    case 'auto_position':
      return AUTO_POSITION_LABELS[setting.value];
    case 'plate_fill_order':
      return FILL_ORDER_LABELS[setting.value];
    case 'standard_kit':
      return kitName(setting.value, words.kits);
    case 'sample_label_code':
      return CODE_LABELS[setting.value];
    case 'label_copies':
      return copiesText(setting.value);
    case 'sample_label_printer':
    case 'box_label_printer':
      return setting.value ?? 'none';
    case 'scanner':
      return setting.value === null ? 'none' : 'set';
  }
}

/** The current value of the same setting as `change`, for "from … to …". */
function currentOf(settings: Settings, change: Setting): Setting {
  switch (change.key) {
    case 'lab_name':
      return { key: change.key, value: settings.lab_name };
    case 'display_timezone':
      return { key: change.key, value: settings.display_timezone };
    case 'date_format':
      return { key: change.key, value: settings.date_format };
    case 'auto_position':
      return { key: change.key, value: settings.auto_position };
    case 'plate_fill_order':
      return { key: change.key, value: settings.plate_fill_order };
    case 'standard_kit':
      return { key: change.key, value: settings.standard_kit };
    case 'sample_label_code':
      return { key: change.key, value: settings.sample_label_code };
    case 'label_copies':
      return { key: change.key, value: settings.label_copies };
    case 'sample_label_printer':
      return { key: change.key, value: settings.sample_label_printer };
    case 'box_label_printer':
      return { key: change.key, value: settings.box_label_printer };
    case 'scanner':
      return { key: change.key, value: settings.scanner };
  }
}

export type ChangeWords = { key: Setting['key']; label: string; from: string; to: string };

/** Each change of a set in words: "Time zone: UTC → Europe/Berlin". */
export function describeChanges(
  settings: Settings,
  changes: readonly Setting[],
  words: Words,
): ChangeWords[] {
  return changes.map((change) => ({
    key: change.key,
    label: SETTING_LABELS[change.key],
    from: valueText(currentOf(settings, change), words),
    to: valueText(change, words),
  }));
}

/**
 * The setting a refusal from the core is about, and the refusal in the screen's words: the
 * core's message for a setting starts with its key ("Lab_name: must be 1 to 120 printable
 * characters."), which becomes "Lab name must be 1 to 120 printable characters." beside that
 * field.
 */
export function refusedSetting(message: string): { key: FormKey; message: string } | null {
  const match = /^([A-Za-z_]+): (.+)$/s.exec(message.trim());
  if (!match) return null;
  const key = (match[1] ?? '').toLowerCase();
  const field = FORM_KEYS.find((k) => k === key);
  if (!field) return null;
  const problem = (match[2] ?? '').trim();
  return {
    key: field,
    message: `${SETTING_LABELS[field]} ${problem}${/[.!?]$/.test(problem) ? '' : '.'}`,
  };
}

/** IANA zones grouped by their region ("Europe/Berlin" under Europe), for a grouped select. */
export function zoneGroups(zones: readonly string[]): { region: string; zones: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const zone of zones) {
    const slash = zone.indexOf('/');
    const region = slash < 0 ? 'Other' : zone.slice(0, slash);
    const list = groups.get(region) ?? [];
    list.push(zone);
    groups.set(region, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === 'Other' ? 1 : b === 'Other' ? -1 : a.localeCompare(b)))
    .map(([region, list]) => ({ region, zones: [...list].sort((a, b) => a.localeCompare(b)) }));
}

/** A zone's name in words, whole (a closed select shows no group): "America/Argentina/Buenos Aires". */
export function zoneLabel(zone: string): string {
  return zone.replace(/_/g, ' ');
}
