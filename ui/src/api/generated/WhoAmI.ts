// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
import type { UserView } from "./UserView";

export type WhoAmI = { user: UserView, expires_at: string, };
