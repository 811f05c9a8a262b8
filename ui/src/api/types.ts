// The one place the UI imports API types from. Types that shared/api generates with ts-rs live
// in ./generated/ (written by `cargo test`, checked for drift by scripts/test) and are
// re-exported here.

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

export type { ApiError } from './generated/ApiError';
export type { ErrorCode } from './generated/ErrorCode';
export type { ChainBreak } from './generated/ChainBreak';
export type { ChangePasswordArgs } from './generated/ChangePasswordArgs';
export type { ChangeRoleArgs } from './generated/ChangeRoleArgs';
export type { ChangeSettingArgs } from './generated/ChangeSettingArgs';
export type { CreateFirstAdminArgs } from './generated/CreateFirstAdminArgs';
export type { CreateUserArgs } from './generated/CreateUserArgs';
export type { DeactivateUserArgs } from './generated/DeactivateUserArgs';
export type { IssuePasswordResetArgs } from './generated/IssuePasswordResetArgs';
export type { ListAuditArgs } from './generated/ListAuditArgs';
export type { ListUsersArgs } from './generated/ListUsersArgs';
export type { LoginArgs } from './generated/LoginArgs';
export type { NoArgs } from './generated/NoArgs';
export type { PasswordResetIssued } from './generated/PasswordResetIssued';
export type { RedeemPasswordResetArgs } from './generated/RedeemPasswordResetArgs';
export type { SortOrder } from './generated/SortOrder';
export type { UserSort } from './generated/UserSort';

import type { ErrorCode } from './generated/ErrorCode';

/** Error codes: the core's, plus `network`, which only the UI's transports produce. */
export type ApiErrorCode = ErrorCode | 'network';

/** Operations without arguments take an empty object. */
export type Empty = Record<string, never>;
