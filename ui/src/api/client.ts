import { ApiError, UNEXPECTED_ERROR_MESSAGE, type Transport } from '../platform';
import type { ArgsOf, OperationName, ResultOf } from './operations';
import type {
  AuditEntryView,
  AuditVerification,
  ChangePasswordArgs,
  ChangeSettingsArgs,
  CoreEvent,
  CreateFirstAdminArgs,
  CreateUserArgs,
  DeactivateUserArgs,
  DeviceStatus,
  IssuePasswordResetArgs,
  ListAuditArgs,
  ListUsersArgs,
  LoginArgs,
  Page,
  PasswordResetIssued,
  RedeemPasswordResetArgs,
  SessionView,
  Settings,
  SetupStatus,
  UserView,
  WhoAmI,
} from './types';

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired. Please sign in again.';

const TOKEN_KEY = 'aliquot.session-token';

/** Where the token is kept besides memory, so a reload keeps the session (per tab). */
export interface TokenStore {
  load(): string | null;
  save(token: string | null): void;
}

export const sessionStorageTokenStore: TokenStore = {
  load() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY);
    } catch {
      return null;
    }
  },
  save(token) {
    try {
      if (token === null) window.sessionStorage.removeItem(TOKEN_KEY);
      else window.sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage can be unavailable (private mode); the session then lasts until reload.
    }
  },
};

/**
 * The typed API: one method per operation of shared/api. Holds the session token; when the
 * core answers `unauthenticated` to a call made with a token, the token is dropped and the
 * listeners registered with {@link onSessionExpired} are told.
 */
export class ApiClient {
  private token: string | null;
  private readonly expiredListeners = new Set<() => void>();

  constructor(
    private readonly transport: Transport,
    private readonly store: TokenStore = sessionStorageTokenStore,
  ) {
    this.token = store.load();
  }

  get hasToken(): boolean {
    return this.token !== null;
  }

  get currentToken(): string | null {
    return this.token;
  }

  /** Registers a listener for "the session ended on the server side"; returns its remover. */
  onSessionExpired(listener: () => void): () => void {
    this.expiredListeners.add(listener);
    return () => this.expiredListeners.delete(listener);
  }

  /** Listens to core events (settings changed, audit appended, ...). */
  subscribe(onEvent: (e: CoreEvent) => void): () => void {
    return this.transport.subscribe(onEvent);
  }

  private setToken(token: string | null): void {
    this.token = token;
    this.store.save(token);
  }

  private async call<T>(name: string, args: unknown): Promise<T> {
    const token = this.token;
    try {
      return await this.transport.call<T>(name, args, token);
    } catch (e: unknown) {
      const error = e instanceof ApiError ? e : new ApiError('internal', UNEXPECTED_ERROR_MESSAGE);
      // Only the token this call was made with is cleared: a newer login must survive.
      if (error.code === 'unauthenticated' && token !== null && this.token === token) {
        this.setToken(null);
        for (const listener of [...this.expiredListeners]) listener();
      }
      throw error;
    }
  }

  /**
   * Runs any operation with its typed arguments. The named methods below exist where a call
   * does more than pass through (sign-in keeps the token).
   */
  run<K extends OperationName>(name: K, args: ArgsOf<K>): Promise<ResultOf<K>> {
    return this.call(name, args);
  }

  // --- setup and sessions ---

  setupStatus(): Promise<SetupStatus> {
    return this.call('setup_status', {});
  }

  createFirstAdmin(args: CreateFirstAdminArgs): Promise<UserView> {
    return this.call('create_first_admin', args);
  }

  async login(args: LoginArgs): Promise<SessionView> {
    const session = await this.call<SessionView>('login', args);
    this.setToken(session.token);
    return session;
  }

  /** Ends the session on the server (best effort) and always forgets the token locally. */
  async logout(): Promise<void> {
    const token = this.token;
    this.setToken(null);
    if (token === null) return;
    try {
      await this.transport.call<null>('logout', {}, token);
    } catch {
      // The token is gone locally either way; an expired session needs no logout.
    }
  }

  whoami(): Promise<WhoAmI> {
    return this.call('whoami', {});
  }

  changePassword(args: ChangePasswordArgs): Promise<null> {
    return this.call('change_password', args);
  }

  redeemPasswordReset(args: RedeemPasswordResetArgs): Promise<null> {
    return this.call('redeem_password_reset', args);
  }

  // --- users ---

  listUsers(args: ListUsersArgs): Promise<Page<UserView>> {
    return this.call('list_users', args);
  }

  createUser(args: CreateUserArgs): Promise<UserView> {
    return this.call('create_user', args);
  }

  deactivateUser(args: DeactivateUserArgs): Promise<null> {
    return this.call('deactivate_user', args);
  }

  issuePasswordReset(args: IssuePasswordResetArgs): Promise<PasswordResetIssued> {
    return this.call('issue_password_reset', args);
  }

  // --- settings ---

  getSettings(): Promise<Settings> {
    return this.call('get_settings', {});
  }

  /** One change set, one reason: saved all together or not at all. */
  changeSettings(args: ChangeSettingsArgs): Promise<Settings> {
    return this.call('change_settings', args);
  }

  // --- audit ---

  listAudit(args: ListAuditArgs): Promise<Page<AuditEntryView>> {
    return this.call('list_audit', args);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.call('verify_audit', {});
  }

  // --- this workstation ---

  deviceStatus(): Promise<DeviceStatus> {
    return this.call('device_status', {});
  }
}
