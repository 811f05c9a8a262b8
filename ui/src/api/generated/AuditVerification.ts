// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type AuditVerification = { entries_checked: number, intact: boolean, first_break: { problem: string, seq?: number } | null, };
