// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
import type { Role } from "./Role";

export type UserView = { id: string, username: string, display_name: string, role: Role, active: boolean, created_at: string, };
