//! One function per operation. Each takes the caller's session token (if any) and typed
//! arguments, checks the session in Rust, and returns a DTO or an `ApiError`.

use crate::dto::*;
use crate::error::ApiError;
use aliquot_domain::account::{self, RESET_TOKEN_LIFETIME};
use aliquot_domain::command::validate_reason;
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{Actor, Command, Permission};
use aliquot_store::auth::{new_token, token_hash, OpenSession, Session};
use aliquot_store::setup::SetupProgress;
use aliquot_store::{Store, StoreError};
use tokio::sync::broadcast;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// The core as the UI sees it: the store and the event channel, shared by both transports.
#[derive(Clone)]
pub struct Api {
    store: Store,
    events: broadcast::Sender<CoreEvent>,
    /// The device scanner's state, kept by `run_scanner`.
    scanner: std::sync::Arc<std::sync::Mutex<crate::scanning::ScannerStatus>>,
    /// Bumped whenever sessions end (sign-out, revocation, password change or reset,
    /// deactivation), so open event streams re-check theirs at once.
    session_ends: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// The sync engine's state (reachability, the bell that wakes it).
    pub(crate) sync: std::sync::Arc<crate::sync::SyncEngine>,
    /// The watch folders' watchers and what each last said.
    pub(crate) watch: crate::watch_folders::Watches,
    /// This workstation's CSV exports under way or done, by id.
    pub(crate) exports: crate::query::Exports,
}

impl Api {
    pub fn new(store: Store) -> Self {
        let (events, _) = broadcast::channel(256);
        Api {
            store,
            events,
            scanner: std::sync::Arc::new(std::sync::Mutex::new(
                crate::scanning::ScannerStatus::NotConfigured,
            )),
            session_ends: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
            sync: Default::default(),
            watch: Default::default(),
            exports: Default::default(),
        }
    }

    /// Tells open event streams that some sessions have ended.
    pub(crate) fn sessions_ended(&self) {
        self.session_ends.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Wakes when some sessions have ended; the stream then checks its own.
    pub fn watch_session_ends(&self) -> tokio::sync::watch::Receiver<u64> {
        self.session_ends.subscribe()
    }

    pub(crate) fn scanner_state(&self) -> crate::scanning::ScannerStatus {
        self.scanner
            .lock()
            .map(|s| s.clone())
            .unwrap_or(crate::scanning::ScannerStatus::NotConfigured)
    }

    /// Records the scanner's state and tells the windows when it changed.
    pub(crate) fn set_scanner_state(&self, status: crate::scanning::ScannerStatus) {
        let changed = match self.scanner.lock() {
            Ok(mut current) if *current != status => {
                *current = status.clone();
                true
            }
            _ => false,
        };
        if changed {
            self.emit(CoreEvent::ScannerChanged { status });
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Core events for the transports to forward (Tauri events, SSE).
    pub fn subscribe(&self) -> broadcast::Receiver<CoreEvent> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: CoreEvent) {
        // No listener is fine: the events are hints for open windows.
        let _ = self.events.send(event);
    }

    /// The valid session behind `token`, or `unauthenticated`.
    pub async fn session(&self, token: Option<&str>) -> Result<Session> {
        let token = token.ok_or_else(|| StoreError::Unauthenticated)?;
        Ok(self.store.session(token).await?)
    }

    pub(crate) async fn actor_with(
        &self,
        token: Option<&str>,
        permission: Permission,
    ) -> Result<Actor> {
        let actor = self.session(token).await?.actor();
        if actor.role.may(permission) {
            Ok(actor)
        } else {
            self.store.record_refusal(&actor, permission).await;
            Err(StoreError::Forbidden(permission).into())
        }
    }

    pub(crate) async fn run(
        &self,
        actor: &Actor,
        command: Command,
    ) -> Result<aliquot_store::Executed> {
        self.run_along_with(actor, command, aliquot_store::AlongWith::Nothing)
            .await
    }

    /// [`Api::run`], writing workstation state `along` in the command's transaction.
    pub(crate) async fn run_along_with(
        &self,
        actor: &Actor,
        command: Command,
        along: aliquot_store::AlongWith,
    ) -> Result<aliquot_store::Executed> {
        let executed = self.store.execute_along_with(actor, command, along).await?;
        self.emit(CoreEvent::AuditAppended {
            seq: executed.audit_seq,
        });
        self.sync_soon();
        Ok(executed)
    }

    /// How far the lab's guided setup has come, step by step (any signed-in user: the
    /// guide shows everyone what is still to do and who may do it).
    pub async fn setup_progress(
        &self,
        token: Option<&str>,
        _args: NoArgs,
    ) -> Result<SetupProgress> {
        self.actor_with(token, Permission::ReadSettings).await?;
        Ok(self.store.setup_progress().await?)
    }

    pub async fn setup_status(&self, _token: Option<&str>, _args: NoArgs) -> Result<SetupStatus> {
        if let Some(archive) = self.store.left_hub_archive() {
            return Ok(SetupStatus {
                needs_first_admin: false,
                lab_name: String::new(),
                joining: None,
                left_hub: Some(crate::dto::LeftHub {
                    archive: archive.display().to_string(),
                }),
                release: crate::dto::Release::of_this_binary(),
            });
        }
        let no_account = self.store.user_count().await? == 0;
        let joining = match self.store.hub_link().await? {
            Some(link) if no_account || self.store.is_joining() => {
                let progress = self.join_progress();
                let kept = match progress {
                    Some(_) => None,
                    None => self.store.join_state().await?,
                };
                Some(crate::dto::JoiningView {
                    hub_url: link.hub_url,
                    device_name: link.device_name,
                    copied_rows: progress
                        .map_or(kept.as_ref().map_or(0, |j| j.copied), |p| p.copied),
                    copied_before: progress.map_or(0, |p| p.copied_before),
                    total_rows: progress
                        .and_then(|p| p.total)
                        .or(kept.and_then(|j| j.total)),
                    started_at: progress.map(|p| p.started_at),
                })
            }
            _ => None,
        };
        Ok(SetupStatus {
            needs_first_admin: no_account && joining.is_none(),
            lab_name: self.store.settings().await?.lab_name,
            joining,
            left_hub: None,
            release: crate::dto::Release::of_this_binary(),
        })
    }

    pub async fn create_first_admin(
        &self,
        _token: Option<&str>,
        args: CreateFirstAdminArgs,
    ) -> Result<UserView> {
        if self.store.user_count().await? > 0 {
            return Err(aliquot_domain::DomainError::AlreadyInitialised.into());
        }
        if self.store.hub_link().await?.is_some() {
            // The lab and its accounts come from the hub: a local one would be a second lab.
            return Err(crate::ApiError::new(
                crate::ErrorCode::Conflict,
                "This workstation is joining the lab's hub: wait until the lab is copied, then \
                 sign in with your lab account.",
            ));
        }
        let username = account::normalise_username(&args.username)?;
        account::validate_new_password(&args.password, &username)?;
        let password_hash = self.store.hash_new_password(&args.password).await?;
        let user_id = Uuid::now_v7();
        self.run(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id,
                username,
                display_name: args.display_name,
                password_hash,
            },
        )
        .await?;
        Ok(self.store.user(user_id).await?.into())
    }

    pub async fn login(&self, _token: Option<&str>, args: LoginArgs) -> Result<SessionView> {
        let (token, session) = self.store.login(&args.username, &args.password).await?;
        Ok(SessionView {
            token,
            user: session.user.into(),
            expires_at: session.expires_at,
        })
    }

    pub async fn logout(&self, token: Option<&str>, _args: NoArgs) -> Result<()> {
        let token = token.ok_or(StoreError::Unauthenticated)?;
        self.store.logout(token).await?;
        self.sessions_ended();
        Ok(())
    }

    pub async fn whoami(&self, token: Option<&str>, _args: NoArgs) -> Result<WhoAmI> {
        let session = self.session(token).await?;
        Ok(WhoAmI {
            permissions: session.user.role.permissions(),
            user: session.user.into(),
            expires_at: session.expires_at,
        })
    }

    pub async fn change_password(
        &self,
        token: Option<&str>,
        args: ChangePasswordArgs,
    ) -> Result<()> {
        let session = self.session(token).await?;
        let actor = session.actor();
        if !actor.role.may(Permission::ChangeOwnPassword) {
            self.store
                .record_refusal(&actor, Permission::ChangeOwnPassword)
                .await;
            return Err(StoreError::Forbidden(Permission::ChangeOwnPassword).into());
        }
        self.store
            .check_own_password(&actor, &args.current_password)
            .await?;
        account::validate_new_password(&args.new_password, &actor.username)?;
        let password_hash = self.store.hash_new_password(&args.new_password).await?;
        // The other sessions end with the change, in its transaction: whoever knew the old
        // password is signed out everywhere but here.
        self.run_along_with(
            &actor,
            Command::ChangePassword { password_hash },
            aliquot_store::AlongWith::EndOtherSessions {
                keep: session.session_id,
            },
        )
        .await?;
        self.sessions_ended();
        Ok(())
    }

    pub async fn list_users(
        &self,
        token: Option<&str>,
        args: ListUsersArgs,
    ) -> Result<Page<UserView>> {
        self.actor_with(token, Permission::ReadUsers).await?;
        let page = self
            .store
            .list_users(args.page_request(), args.sort, args.order)
            .await?;
        Ok(map_page(page, UserView::from))
    }

    pub async fn create_user(&self, token: Option<&str>, args: CreateUserArgs) -> Result<UserView> {
        let actor = self.actor_with(token, Permission::ManageUsers).await?;
        let username = account::normalise_username(&args.username)?;
        account::validate_new_password(&args.password, &username)?;
        let password_hash = self.store.hash_new_password(&args.password).await?;
        let user_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateUser {
                user_id,
                username,
                display_name: args.display_name,
                role: args.role,
                password_hash,
            },
        )
        .await?;
        Ok(self.store.user(user_id).await?.into())
    }

    pub async fn change_role(&self, token: Option<&str>, args: ChangeRoleArgs) -> Result<UserView> {
        let actor = self.actor_with(token, Permission::ManageUsers).await?;
        let reason = args.reason;
        self.run(
            &actor,
            Command::ChangeRole {
                user_id: args.user_id,
                role: args.role,
                reason,
            },
        )
        .await?;
        Ok(self.store.user(args.user_id).await?.into())
    }

    pub async fn deactivate_user(
        &self,
        token: Option<&str>,
        args: DeactivateUserArgs,
    ) -> Result<()> {
        let actor = self.actor_with(token, Permission::ManageUsers).await?;
        let reason = args.reason;
        self.run(
            &actor,
            Command::DeactivateUser {
                user_id: args.user_id,
                reason,
            },
        )
        .await?;
        self.sessions_ended();
        Ok(())
    }

    pub async fn reactivate_user(
        &self,
        token: Option<&str>,
        args: ReactivateUserArgs,
    ) -> Result<UserView> {
        let actor = self.actor_with(token, Permission::ManageUsers).await?;
        self.run(
            &actor,
            Command::ReactivateUser {
                user_id: args.user_id,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store.user(args.user_id).await?.into())
    }

    pub async fn issue_password_reset(
        &self,
        token: Option<&str>,
        args: IssuePasswordResetArgs,
    ) -> Result<PasswordResetIssued> {
        let actor = self.actor_with(token, Permission::ResetPasswords).await?;
        let reason = args.reason;
        let reset_token = new_token();
        let expires_at = self.store.now() + RESET_TOKEN_LIFETIME;
        self.run(
            &actor,
            Command::IssuePasswordReset {
                user_id: args.user_id,
                reset_id: Uuid::now_v7(),
                token_hash: token_hash(&reset_token),
                expires_at,
                reason,
            },
        )
        .await?;
        Ok(PasswordResetIssued {
            token: reset_token,
            expires_at,
        })
    }

    /// Needs no session: the one-time token is the credential.
    pub async fn redeem_password_reset(
        &self,
        _token: Option<&str>,
        args: RedeemPasswordResetArgs,
    ) -> Result<()> {
        let hash_of_token = token_hash(args.token.trim());
        let invalid = || ApiError::from(aliquot_domain::DomainError::ResetTokenInvalid);
        let owner = self
            .store
            .reset_token_owner(&hash_of_token)
            .await?
            .ok_or_else(invalid)?;
        account::validate_new_password(&args.new_password, &owner.username)?;
        let password_hash = self.store.hash_new_password(&args.new_password).await?;
        let actor = Actor {
            user_id: owner.id,
            username: owner.username,
            role: owner.role,
        };
        self.run(
            &actor,
            Command::RedeemPasswordReset {
                token_hash: hash_of_token,
                password_hash,
            },
        )
        .await?;
        self.sessions_ended();
        Ok(())
    }

    pub async fn get_settings(
        &self,
        token: Option<&str>,
        _args: NoArgs,
    ) -> Result<aliquot_domain::settings::Settings> {
        self.actor_with(token, Permission::ReadSettings).await?;
        Ok(self.store.settings().await?)
    }

    /// What each fixed setting may be set to.
    pub async fn setting_choices(
        &self,
        token: Option<&str>,
        _args: NoArgs,
    ) -> Result<SettingChoices> {
        self.actor_with(token, Permission::ReadSettings).await?;
        let today = self.store.now().date_naive();
        Ok(SettingChoices {
            time_zones: aliquot_domain::settings::time_zones()
                .map(str::to_owned)
                .collect(),
            date_formats: aliquot_domain::settings::DateFormat::ALL
                .into_iter()
                .map(|format| DateFormatChoice {
                    format,
                    example: today.format(format.pattern()).to_string(),
                })
                .collect(),
            auto_positions: vec![
                aliquot_domain::storage::AutoPosition::NextFree,
                aliquot_domain::storage::AutoPosition::KeepParticipantTogether,
            ],
            sample_label_codes: vec![
                aliquot_domain::printing::SampleLabelCode::DataMatrix,
                aliquot_domain::printing::SampleLabelCode::Qr,
            ],
        })
    }

    /// Saves one change set from the settings screen: all of it or none, one reason.
    pub async fn change_settings(
        &self,
        token: Option<&str>,
        args: ChangeSettingsArgs,
    ) -> Result<aliquot_domain::settings::Settings> {
        let actor = self.actor_with(token, Permission::ChangeSettings).await?;
        let reason = args.reason;
        for setting in &args.settings {
            if let aliquot_domain::settings::Setting::Scanner(Some(
                aliquot_domain::scanning::ScannerSettings::Serial(serial),
            )) = setting
            {
                crate::printing::check_device_path_now(
                    serial.port.trim(),
                    aliquot_devices::device_path::DevicePathKind::SerialPort,
                )?;
            }
        }
        self.run(
            &actor,
            Command::ChangeSettings {
                settings: args.settings,
                reason,
            },
        )
        .await?;
        self.emit(CoreEvent::SettingsChanged);
        Ok(self.store.settings().await?)
    }

    pub async fn list_audit(
        &self,
        token: Option<&str>,
        args: ListAuditArgs,
    ) -> Result<Page<AuditEntryView>> {
        self.actor_with(token, Permission::ReadAudit).await?;
        let request = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        // An empty box in a filter form means "any".
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let filter = aliquot_store::audit::AuditFilter {
            action: given(args.action),
            actor_name: given(args.actor_name),
            entity_id: given(args.entity_id),
            from: args.from,
            until: args.until,
        };
        let page = self.store.list_audit(request, args.order, &filter).await?;
        Ok(map_page(page, AuditEntryView::from))
    }

    /// The sessions open on this workstation, for an administrator.
    pub async fn list_sessions(
        &self,
        token: Option<&str>,
        args: ListSessionsArgs,
    ) -> Result<Page<OpenSession>> {
        self.actor_with(token, Permission::ManageUsers).await?;
        let request = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store.open_sessions(request).await?)
    }

    /// Ends someone's session at once, with the reason; audited.
    pub async fn revoke_session(&self, token: Option<&str>, args: RevokeSessionArgs) -> Result<()> {
        let actor = self.actor_with(token, Permission::ManageUsers).await?;
        let reason = validate_reason(&args.reason)?;
        self.store
            .revoke_session(&actor, args.session_id, &reason)
            .await?;
        self.sessions_ended();
        Ok(())
    }

    pub async fn verify_audit(
        &self,
        token: Option<&str>,
        _args: NoArgs,
    ) -> Result<AuditVerification> {
        self.actor_with(token, Permission::ReadAudit).await?;
        Ok(self.store.verify_audit_chain().await?.into())
    }

    pub async fn device_status(&self, token: Option<&str>, _args: NoArgs) -> Result<DeviceStatus> {
        self.session(token).await?;
        Ok(DeviceStatus {
            device_id: self.store.device_id().to_owned(),
            outbox_pending: self.store.outbox_pending().await?,
            lab_name: self.store.settings().await?.lab_name,
        })
    }
}

/// Hands every core event to `emit` until the core shuts down. A listener that fell behind
/// skips what it missed and goes on (the windows refresh on the next event); it never
/// stops for good, which would leave a window deaf to the core.
pub async fn forward_events(
    mut events: broadcast::Receiver<CoreEvent>,
    mut emit: impl FnMut(CoreEvent),
) {
    use broadcast::error::RecvError;
    loop {
        match events.recv().await {
            Ok(event) => emit(event),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "a window fell behind the core's events");
            }
            Err(RecvError::Closed) => return,
        }
    }
}

pub(crate) fn map_page<A, B>(page: Page<A>, f: impl Fn(A) -> B) -> Page<B> {
    Page {
        items: page.items.into_iter().map(f).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        total_pages: page.total_pages,
    }
}
