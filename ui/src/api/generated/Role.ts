// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type Role = "admin" | "lab_manager" | "technician" | "field_coordinator" | "viewer";
