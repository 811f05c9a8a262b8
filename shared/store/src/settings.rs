//! Settings: typed values stored as JSON per key, changed only by the ChangeSettings command.
//! The lab's settings live in `settings` (synced); the workstation's own in
//! `workstation_settings` (never leave it).

use crate::executor::{Applied, Change};
use crate::{format_utc, Result, Store};
use aliquot_domain::printing::{LabelKind, LabelStock};
use aliquot_domain::settings::{Setting, SettingScope, Settings};
use aliquot_domain::{Actor, DomainError};
use sqlx::SqliteConnection;

pub(crate) async fn load(conn: &mut SqliteConnection) -> Result<Settings> {
    let rows = sqlx::query!(
        r#"SELECT key AS "key!", value AS "value!" FROM settings
           UNION ALL SELECT key, value FROM workstation_settings"#
    )
    .fetch_all(conn)
    .await?;
    let mut settings = Settings::default();
    for row in rows {
        let value = serde_json::from_str(&row.value).unwrap_or(serde_json::Value::Null);
        match Setting::from_stored(&row.key, value) {
            Some(setting) => settings = settings.with(setting),
            // A key this version does not know (written by a newer one): keep the default.
            None => tracing::warn!(key = %row.key, "ignoring unknown or malformed setting"),
        }
    }
    Ok(settings)
}

/// One change set: every setting in it, all or none, one audit row per setting.
pub(crate) async fn change_all(
    conn: &mut SqliteConnection,
    actor: &Actor,
    settings: &[Setting],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Applied> {
    let mut keys = std::collections::HashSet::new();
    if settings.is_empty() {
        return Err(DomainError::invalid("settings", "nothing to change").into());
    }
    let mut changes = Vec::with_capacity(settings.len());
    for setting in settings {
        if !keys.insert(setting.key()) {
            return Err(DomainError::invalid(
                setting.key(),
                "appears twice in one change; give each setting once",
            )
            .into());
        }
        changes.push(change(conn, actor, setting.clone(), now).await?);
    }
    Applied::per_record(changes)
}

async fn change(
    conn: &mut SqliteConnection,
    actor: &Actor,
    setting: Setting,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Change> {
    let setting = setting.validate()?;
    // A label printer setting names a printer this workstation knows, loaded with stock
    // that carries that kind of label.
    let routed = match &setting {
        Setting::SampleLabelPrinter(Some(name)) => Some((name, LabelKind::Sample)),
        Setting::BoxLabelPrinter(Some(name)) => Some((name, LabelKind::Box)),
        _ => None,
    };
    if let Some((name, kind)) = routed {
        let stock = sqlx::query_scalar!("SELECT stock FROM printers WHERE name = ?1", name)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("printer"))?;
        if !LabelStock::parse(&stock).is_some_and(|s| s.carries(kind)) {
            return Err(DomainError::invalid(
                setting.key(),
                format!(
                    "{name} is loaded with {stock} labels; {}",
                    kind.stock_hint()
                ),
            )
            .into());
        }
    }
    if let Setting::StandardKit(Some(kit)) = &setting {
        let id = kit.to_string();
        sqlx::query_scalar!("SELECT id FROM kit_templates WHERE id = ?1", id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(DomainError::NotFound("kit template"))?;
    }
    let current = load(conn).await?;
    let old = current.current(&setting).value_json();
    let new = setting.value_json();
    let key = setting.key();
    let value = new.to_string();
    let at = format_utc(now);
    let by = actor.user_id.to_string();
    match setting.scope() {
        SettingScope::Lab => sqlx::query!(
            r#"INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                                               updated_by = excluded.updated_by"#,
            key,
            value,
            at,
            by
        )
        .execute(conn)
        .await?,
        SettingScope::Workstation => sqlx::query!(
            r#"INSERT INTO workstation_settings (key, value, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
                                               updated_by = excluded.updated_by"#,
            key,
            value,
            at,
            by
        )
        .execute(conn)
        .await?,
    };
    Ok(Change {
        entity_type: "setting",
        entity_id: key.to_owned(),
        old: Some(old),
        new: Some(new),
        subject_user_id: None,
    })
}

impl Store {
    pub async fn settings(&self) -> Result<Settings> {
        let mut conn = self.pool.acquire().await?;
        load(&mut conn).await
    }
}
