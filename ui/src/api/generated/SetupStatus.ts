// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type SetupStatus = { needs_first_admin: boolean, lab_name: string, };
