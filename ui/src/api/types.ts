// The one place the UI imports API types from. Types that shared/api generates with ts-rs live
// in ./generated/ and are re-exported here; the request shapes below are written by hand only
// because they are not generated (yet). If the Rust side starts generating one of them, delete
// it here and re-export the generated one under the same name.

export type { AuditEntryView } from './generated/AuditEntryView';
export type { AuditVerification } from './generated/AuditVerification';
export type { CoreEvent } from './generated/CoreEvent';
export type { DeviceStatus } from './generated/DeviceStatus';
export type { Page } from './generated/Page';
export type { Role } from './generated/Role';
export type { SessionView } from './generated/SessionView';
export type { Setting } from './generated/Setting';
export type { Settings } from './generated/Settings';
export type { SetupStatus } from './generated/SetupStatus';
export type { UserView } from './generated/UserView';
export type { WhoAmI } from './generated/WhoAmI';
export type { JsonValue } from './generated/serde_json/JsonValue';

import type { Role } from './generated/Role';
import type { Setting } from './generated/Setting';

/** Error codes the core may return; `network` is produced by the UI's transports only. */
export type ApiErrorCode =
  | 'unauthenticated'
  | 'forbidden'
  | 'invalid_input'
  | 'conflict'
  | 'not_found'
  | 'locked_out'
  | 'invalid_credentials'
  | 'internal'
  | 'network';

export type SortOrder = 'asc' | 'desc';
export type UserSort = 'username' | 'created_at';

export type Empty = Record<string, never>;

export type CreateFirstAdminArgs = { username: string; display_name: string; password: string };
export type LoginArgs = { username: string; password: string };
export type ChangePasswordArgs = { current_password: string; new_password: string };
export type ListUsersArgs = { page: number; per_page: number; sort: UserSort; order: SortOrder };
export type CreateUserArgs = {
  username: string;
  display_name: string;
  role: Role;
  password: string;
};
export type DeactivateUserArgs = { user_id: string; reason: string };
export type IssuePasswordResetArgs = { user_id: string; reason: string };
export type PasswordResetIssued = { token: string; expires_at: string };
export type RedeemPasswordResetArgs = { token: string; new_password: string };
export type ChangeSettingArgs = { setting: Setting; reason: string };
export type ListAuditArgs = { page: number; per_page: number; order: SortOrder };
