import { describe, expect, it } from 'vitest';
import type { KitTemplateRecord, Settings } from '../api/types';
import {
  changeSet,
  describeChanges,
  formOf,
  refusedSetting,
  zoneGroups,
  zoneLabel,
} from './settingsForm';

const LAB: Settings = {
  lab_name: 'North Biobank',
  display_timezone: 'UTC',
  sample_label_printer: 'Bench Zebra',
  box_label_printer: null,
  sample_label_code: 'data_matrix',
  label_copies: 1,
  auto_position: 'next_free',
  scanner: null,
  date_format: 'year_month_day',
  standard_kit: 'kit-standard',
  plate_fill_order: 'columns',
};

const kit = (id: string, name: string): KitTemplateRecord => ({
  id,
  name,
  version: 1,
  items: [],
  tube_count: 1,
  retired_at: null,
  retire_reason: null,
});

const KITS = [
  { ...kit('kit-standard', 'Standard blood and urine'), tube_count: 5 },
  kit('kit-saliva', 'Saliva only'),
];

describe('the change set: only what changed, typed as the core takes it', () => {
  it('an untouched form changes nothing', () => {
    expect(changeSet(LAB, formOf(LAB))).toEqual([]);
  });

  it('holds only the changed keys, in screen order, with typed values', () => {
    const form = {
      ...formOf(LAB),
      label_copies: 3,
      date_format: 'day_month_year_dots' as const,
      display_timezone: 'Europe/Berlin',
    };
    expect(changeSet(LAB, form)).toEqual([
      { key: 'display_timezone', value: 'Europe/Berlin' },
      { key: 'date_format', value: 'day_month_year_dots' },
      { key: 'label_copies', value: 3 },
    ]);
  });

  it('never touches the printers or the scanner, which are set on the Printing page', () => {
    const keys = changeSet(LAB, {
      lab_name: 'South Biobank',
      display_timezone: 'Asia/Tokyo',
      date_format: 'month_day_year_slashes',
      auto_position: 'keep_participant_together',
      plate_fill_order: 'rows',
      sample_label_code: 'qr',
      label_copies: 10,
      standard_kit: 'kit-saliva',
    }).map((s) => s.key);
    expect(keys).toEqual([
      'lab_name',
      'display_timezone',
      'date_format',
      'auto_position',
      'plate_fill_order',
      'standard_kit',
      'sample_label_code',
      'label_copies',
    ]);
  });

  it('trims text, and spaces alone are no change', () => {
    expect(changeSet(LAB, { ...formOf(LAB), lab_name: '  North Biobank ' })).toEqual([]);
    expect(changeSet(LAB, { ...formOf(LAB), lab_name: ' East ' })).toEqual([
      { key: 'lab_name', value: 'East' },
    ]);
  });

  it('an emptied standard kit is none (null), not empty text', () => {
    expect(changeSet(LAB, { ...formOf(LAB), standard_kit: '' })).toEqual([
      { key: 'standard_kit', value: null },
    ]);
  });

  it('an emptied lab name is sent as it is, for the core to refuse and say why', () => {
    expect(changeSet(LAB, { ...formOf(LAB), lab_name: '' })).toEqual([
      { key: 'lab_name', value: '' },
    ]);
  });
});

describe('what will change, in words', () => {
  it('names each setting with its old and new value', () => {
    const form = {
      ...formOf(LAB),
      display_timezone: 'Europe/Berlin',
      date_format: 'day_month_year_dots' as const,
      auto_position: 'keep_participant_together' as const,
      standard_kit: 'kit-saliva',
      sample_label_code: 'qr' as const,
      label_copies: 2,
    };
    const words = { kits: KITS, dateExamples: { day_month_year_dots: '01.12.2026' } };
    expect(describeChanges(LAB, changeSet(LAB, form), words)).toEqual([
      { key: 'display_timezone', label: 'Time zone', from: 'UTC', to: 'Europe/Berlin' },
      {
        key: 'date_format',
        label: 'Date format',
        from: 'year-month-day',
        to: '01.12.2026 (day.month.year)',
      },
      {
        key: 'auto_position',
        label: 'Where a tube goes in a box',
        from: 'Next free position',
        to: 'Keep a participant’s tubes together',
      },
      {
        key: 'standard_kit',
        label: 'Standard kit',
        from: 'Standard blood and urine',
        to: 'Saliva only',
      },
      {
        key: 'sample_label_code',
        label: 'Code on cryovial labels',
        from: 'DataMatrix',
        to: 'QR code',
      },
      { key: 'label_copies', label: 'Copies of each label', from: '1 copy', to: '2 copies' },
    ]);
  });
});

describe('a refusal from the core, beside the field it is about', () => {
  it('reads the setting from the core’s message and words it in the screen’s names', () => {
    expect(refusedSetting('Lab_name: must be 1 to 120 printable characters.')).toEqual({
      key: 'lab_name',
      message: 'Lab name must be 1 to 120 printable characters.',
    });
    expect(refusedSetting('Label_copies: must be between 1 and 10')).toMatchObject({
      key: 'label_copies',
      message: /^Copies of each label must be between 1 and 10/,
    });
  });

  it('leaves messages about no field of this screen to be shown as they are', () => {
    expect(refusedSetting('Your role does not allow this.')).toBeNull();
    expect(refusedSetting('Sample_label_printer: no such printer.')).toBeNull();
    expect(refusedSetting('No such kit template.')).toBeNull();
  });
});

describe('time zones grouped by region', () => {
  it('puts each zone under its region, the ones without one last', () => {
    const groups = zoneGroups(['Europe/Paris', 'UTC', 'America/New_York', 'Europe/Berlin']);
    expect(groups).toEqual([
      { region: 'America', zones: ['America/New_York'] },
      { region: 'Europe', zones: ['Europe/Berlin', 'Europe/Paris'] },
      { region: 'Other', zones: ['UTC'] },
    ]);
  });

  it('names a zone whole, in words', () => {
    expect(zoneLabel('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos Aires');
    expect(zoneLabel('UTC')).toBe('UTC');
  });
});
