// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type Settings = { lab_name: string, display_timezone: string, label_default_printer: string | null, label_default_template: string | null, label_copies: number, hub_url: string | null, };
