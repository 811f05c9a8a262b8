// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type CoreEvent = { "type": "settings_changed" } | { "type": "audit_appended", seq: number, };
