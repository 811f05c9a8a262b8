//! The compliance report over a period: the audit trail's security and control events,
//! counted by SQL over `audit_log.at` (`from` included, `to` not), and the whole chain's
//! verification.
//!
//! `audit_log.at` is `format_utc` text (RFC 3339, microseconds, `Z`: fixed width), so text
//! order is time order and the period is compared as text.
//!
//! What each count is, in the trail's own words (`AuditAction`, `CommandKind`):
//! - sign-ins: `login_succeeded`; failed sign-ins: `login_failed` for a wrong name or
//!   password; refused during a lockout: `login_failed` with the reason `locked out`
//!   (`Store::login` refuses a locked name before checking anything).
//! - lockouts: the trail has no row of its own for a lockout, so it is found the way the
//!   throttle counts (`LoginThrottle::after_failure`): per name, the failed attempts (failed
//!   sign-ins and wrong current passwords, not the refusals during a lockout) are numbered
//!   from the name's last successful sign-in; every `MAX_FAILED_LOGINS`th locks the name.
//!   (A failure after a lockout ran out starts the count again at 1, which is the next
//!   number after a multiple of `MAX_FAILED_LOGINS`.) One blind spot: a correct current
//!   password when changing one's own password clears the count without an audit row.
//! - accounts: `create_first_admin`, `create_user`, `change_role`, `deactivate_user`,
//!   `reactivate_user`, `change_password`, `issue_password_reset`, `redeem_password_reset`,
//!   and `session_revoked` (an administrator ended a session).
//! - settings: `change_settings`, one row per setting changed, with old and new values.
//! - discards: `request_discard` and `decide_discard` rows of the request (each command
//!   also writes a row for the sample, not counted again).
//! - overridden QC: `decide_run` releasing a run that QC held (`RunDecision::Release`: a run
//!   is held only when its controls failed or could not be judged, and only a held run is
//!   decided), with the run's verdict and the rules it broke.
//! - changes by user: every audit row of the period by the name it was recorded under (a
//!   failed sign-in under the name that was tried, whether or not such a user exists).

use super::parts::{audit_json, chart, figure, left_out, table, time, TABLE_ROWS};
use super::{parameter, Heading};
use crate::{format_utc, Result, Store, StoreError};
use aliquot_domain::account::MAX_FAILED_LOGINS;
use aliquot_domain::audit::{AuditAction, ChainBreak};
use aliquot_domain::reports::Period;
use aliquot_domain::CommandKind;
use aliquot_reports::{ChartKind, Column, ColumnKind, Report, Value};
use serde_json::Value as Json;

/// The reason `Store::login` records for an attempt refused because the name is locked.
pub(crate) const LOCKED_OUT: &str = "locked out";

/// The actions of the accounts table.
const ACCOUNT_ACTIONS: [AuditAction; 9] = [
    AuditAction::Command(CommandKind::CreateFirstAdmin),
    AuditAction::Command(CommandKind::CreateUser),
    AuditAction::Command(CommandKind::ChangeRole),
    AuditAction::Command(CommandKind::DeactivateUser),
    AuditAction::Command(CommandKind::ReactivateUser),
    AuditAction::Command(CommandKind::ChangePassword),
    AuditAction::Command(CommandKind::IssuePasswordReset),
    AuditAction::Command(CommandKind::RedeemPasswordReset),
    AuditAction::SessionRevoked,
];

fn name(action: AuditAction) -> &'static str {
    action.as_str()
}

fn command(kind: CommandKind) -> &'static str {
    kind.as_str()
}

/// An audit action in the lab's words.
fn action_label(action: &str) -> String {
    let named = [
        (AuditAction::LoginSucceeded, "Sign-in"),
        (AuditAction::LoginFailed, "Failed sign-in"),
        (AuditAction::Logout, "Sign-out"),
        (
            AuditAction::SessionRevoked,
            "Session ended by an administrator",
        ),
        (
            AuditAction::PasswordChangeRefused,
            "Wrong current password at a password change",
        ),
        (AuditAction::PermissionDenied, "Refused: not permitted"),
        (AuditAction::AuditChainAlarm, "Audit trail alarm"),
        (AuditAction::PrintJobCancelled, "Print job cancelled"),
        (AuditAction::PrintJobRetried, "Print job retried"),
        (
            AuditAction::PrintJobConfirmed,
            "Print job confirmed printed",
        ),
    ];
    if let Some((_, label)) = named.iter().find(|(a, _)| a.as_str() == action) {
        return (*label).to_owned();
    }
    let words = action.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn plain(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Json::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Before and after, keeping of two objects only the keys that changed.
fn before_after(old: &Json, new: &Json) -> (Value, Value) {
    let shown = |v: &Json| {
        let text = plain(v);
        if text.is_empty() {
            Value::Empty
        } else {
            Value::Text(text)
        }
    };
    match (old, new) {
        (Json::Object(o), Json::Object(n)) => {
            let mut before = serde_json::Map::new();
            let mut after = serde_json::Map::new();
            for (k, v) in n {
                if o.get(k) != Some(v) {
                    after.insert(k.clone(), v.clone());
                    if let Some(was) = o.get(k) {
                        before.insert(k.clone(), was.clone());
                    }
                }
            }
            for (k, v) in o {
                if !n.contains_key(k) {
                    before.insert(k.clone(), v.clone());
                }
            }
            (shown(&Json::Object(before)), shown(&Json::Object(after)))
        }
        _ => (shown(old), shown(new)),
    }
}

fn describe_break(broken: &ChainBreak) -> String {
    match broken {
        ChainBreak::HashMismatch { seq } => format!(
            "audit entry {seq} no longer matches its hash: it was changed after it was written"
        ),
        ChainBreak::BrokenLink { seq } => format!(
            "audit entry {seq} does not point at the entry before it: entries were removed or reordered"
        ),
        ChainBreak::Gap {
            expected_seq,
            found_seq,
        } => format!(
            "audit entries {expected_seq} to {} are missing",
            found_seq - 1
        ),
    }
}

/// The period's days (UTC), at most `TABLE_ROWS` of them, each as its date and the range
/// of `at` it covers (the first from the period's start, the last to its end), and how many
/// days the period touches in all.
fn days_of(period: Period) -> (Vec<[String; 3]>, i64) {
    let first = period.from.date_naive();
    let last = (period.to - chrono::Duration::microseconds(1)).date_naive();
    let total = (last - first).num_days() + 1;
    let mut days = Vec::new();
    let mut day = first;
    while day <= last && i64::try_from(days.len()).unwrap_or(i64::MAX) < TABLE_ROWS {
        let next = day.succ_opt().unwrap_or(day);
        let start = day
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .max(period.from);
        let end = next
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .min(period.to);
        days.push([day.to_string(), format_utc(start), format_utc(end)]);
        if next == day {
            break;
        }
        day = next;
    }
    (days, total)
}

/// Groups' counts added up by key, largest first (ties by key): entries by kind or by user.
fn totals<'a>(groups: impl Iterator<Item = (&'a str, i64)>) -> Vec<(String, i64)> {
    let mut sums: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for (key, n) in groups {
        *sums.entry(key).or_default() += n;
    }
    let mut totals: Vec<(String, i64)> = sums.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    totals
}

impl Store {
    pub(crate) async fn compliance_report(
        &self,
        heading: Heading,
        period: Period,
    ) -> Result<Report> {
        let (from, to) = (format_utc(period.from), format_utc(period.to));
        let login_ok = name(AuditAction::LoginSucceeded);
        let login_failed = name(AuditAction::LoginFailed);
        let wrong_password = name(AuditAction::PasswordChangeRefused);
        let request_discard = command(CommandKind::RequestDiscard);
        let decide_discard = command(CommandKind::DecideDiscard);
        let decide_run = command(CommandKind::DecideRun);
        let change_settings = command(CommandKind::ChangeSettings);
        let accounts = serde_json::to_string(&ACCOUNT_ACTIONS.map(name))
            .map_err(|e| StoreError::Decode(e.to_string()))?;

        // The chain walk reads the whole trail on a thread of its own: it runs while the
        // queries below run on the pool, so the report takes the longer of the two.
        let walk = {
            let store = self.clone();
            tokio::spawn(async move { store.verify_audit_chain().await })
        };

        // One pass over the period (the covering `audit_log_by_at`, one sort) counts every
        // (kind, name); the entries by kind and by user are those groups added up.
        let groups = sqlx::query!(
            r#"SELECT action AS "action!", actor_name AS "actor!", COUNT(*) AS "n!: i64"
               FROM audit_log INDEXED BY audit_log_by_at
               WHERE at >= ?1 AND at < ?2 GROUP BY action, actor_name"#,
            from,
            to
        )
        .fetch_all(&self.pool)
        .await?;
        let kinds = totals(groups.iter().map(|g| (g.action.as_str(), g.n)));
        let by_user = totals(groups.iter().map(|g| (g.actor.as_str(), g.n)));
        let users_total = i64::try_from(by_user.len()).unwrap_or(i64::MAX);
        let shown_users: Vec<(String, i64)> = by_user
            .into_iter()
            .take(usize::try_from(TABLE_ROWS).unwrap_or(usize::MAX))
            .collect();
        let names = serde_json::to_string(&shown_users.iter().map(|(n, _)| n).collect::<Vec<_>>())
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        let display_names: std::collections::HashMap<String, String> = sqlx::query!(
            r#"SELECT username AS "username!", display_name AS "display_name!" FROM users
               WHERE username IN (SELECT value FROM json_each(?1))"#,
            names
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|u| (u.username, u.display_name))
        .collect();
        let of_kind = |action: &str| kinds.iter().find(|k| k.0 == action).map_or(0, |k| k.1);

        // Per day (UTC) of the period, its first `TABLE_ROWS` days: each day a range of
        // `audit_log_by_at`, counted (a day without entries is a 0, as a line chart wants).
        let (day_list, days_total) = days_of(period);
        let day_list =
            serde_json::to_string(&day_list).map_err(|e| StoreError::Decode(e.to_string()))?;
        let days = sqlx::query!(
            r#"SELECT json_extract(d.value, '$[0]') AS "key!: String",
                      (SELECT COUNT(*) FROM audit_log INDEXED BY audit_log_by_at
                        WHERE at >= json_extract(d.value, '$[1]') AND at < json_extract(d.value, '$[2]'))
                        AS "n!: i64",
                      (SELECT COUNT(*) FROM audit_log INDEXED BY audit_log_by_at
                        WHERE at >= json_extract(d.value, '$[1]') AND at < json_extract(d.value, '$[2]')
                          AND action = ?2) AS "sign_ins!: i64",
                      (SELECT COUNT(*) FROM audit_log INDEXED BY audit_log_by_at
                        WHERE at >= json_extract(d.value, '$[1]') AND at < json_extract(d.value, '$[2]')
                          AND action = ?3) AS "failed!: i64"
               FROM json_each(?1) d ORDER BY d.key"#,
            day_list,
            login_ok,
            login_failed
        )
        .fetch_all(&self.pool)
        .await?;
        let counts = sqlx::query!(
            r#"SELECT COALESCE(SUM(action = ?3 AND reason IS NOT ?4), 0) AS "failed!: i64",
                      COALESCE(SUM(action = ?3 AND reason IS ?4), 0) AS "refused_locked!: i64",
                      COALESCE(SUM(action = ?5 AND entity_type = 'discard_request'), 0) AS "discard_requests!: i64",
                      COALESCE(SUM(action = ?6 AND entity_type = 'discard_request'
                                   AND json_extract(new_value, '$.state') = 'approved'), 0) AS "approved!: i64",
                      COALESCE(SUM(action = ?6 AND entity_type = 'discard_request'
                                   AND json_extract(new_value, '$.state') = 'rejected'), 0) AS "rejected!: i64",
                      COALESCE(SUM(action = ?7 AND entity_type = 'run'
                                   AND json_extract(new_value, '$.decision') = 'release'), 0) AS "overrides!: i64",
                      COALESCE(SUM(action = ?7 AND entity_type = 'run'
                                   AND json_extract(new_value, '$.decision') = 'repeat'), 0) AS "repeats!: i64"
               FROM audit_log INDEXED BY audit_log_by_action
               WHERE action IN (?3, ?5, ?6, ?7) AND at >= ?1 AND at < ?2"#,
            from,
            to,
            login_failed,
            LOCKED_OUT,
            request_discard,
            decide_discard,
            decide_run
        )
        .fetch_one(&self.pool)
        .await?;

        // Lockouts (see the module's comment): each failed attempt of a name that failed in
        // the period, numbered from the name's last successful sign-in before it (one seek
        // in `audit_log_by_action`, whose entries of one kind and name are in `seq` order);
        // read from that name's last success before its first failure of the period.
        let lockouts = sqlx::query!(
            r#"WITH firsts AS MATERIALIZED (
                   SELECT actor_name, MIN(seq) AS first FROM audit_log INDEXED BY audit_log_by_action
                   WHERE action IN (?3, ?4) AND at >= ?1 AND at < ?2 AND reason IS NOT ?6
                   GROUP BY actor_name),
               bounds AS MATERIALIZED (
                   SELECT f.actor_name,
                          COALESCE((SELECT s.seq FROM audit_log s INDEXED BY audit_log_by_action
                                     WHERE s.action = ?5 AND s.actor_name = f.actor_name AND s.seq < f.first
                                     ORDER BY s.seq DESC LIMIT 1), 0) AS low
                   FROM firsts f),
               -- Each name's failures from its bound on (the names outside: CROSS JOIN).
               failures AS (
                   SELECT a.seq, a.at, a.actor_name,
                          (SELECT s.seq FROM audit_log s INDEXED BY audit_log_by_action
                            WHERE s.action = ?5 AND s.actor_name = a.actor_name AND s.seq < a.seq
                            ORDER BY s.seq DESC LIMIT 1) AS since
                   FROM bounds b CROSS JOIN audit_log a INDEXED BY audit_log_by_action
                   WHERE a.action IN (?3, ?4) AND a.actor_name = b.actor_name AND a.seq > b.low
                     AND a.at < ?2 AND a.reason IS NOT ?6),
               numbered AS (
                   SELECT seq, at, actor_name,
                          ROW_NUMBER() OVER (PARTITION BY actor_name, since ORDER BY seq) AS k
                   FROM failures)
               SELECT seq AS "seq!: i64", at AS "at!: String", actor_name AS "name!: String",
                      COUNT(*) OVER () AS "total!: i64"
               FROM numbered WHERE k % ?7 = 0 AND at >= ?1 ORDER BY seq LIMIT ?8"#,
            from,
            to,
            login_failed,
            wrong_password,
            login_ok,
            LOCKED_OUT,
            MAX_FAILED_LOGINS,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let failures = sqlx::query!(
            r#"SELECT at AS "at!", actor_name AS "name!", action AS "action!", reason AS "reason?",
                      json_extract(context, '$.device_id') AS "device?: String"
               FROM audit_log INDEXED BY audit_log_by_at
               WHERE action IN (?3, ?4) AND at >= ?1 AND at < ?2
               ORDER BY seq LIMIT ?5"#,
            from,
            to,
            login_failed,
            wrong_password,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let account_changes = sqlx::query!(
            r#"SELECT a.at AS "at!", a.actor_name AS "by!", a.action AS "action!",
                      COALESCE((SELECT username FROM users WHERE id = a.entity_id),
                               (SELECT u.username FROM sessions s JOIN users u ON u.id = s.user_id
                                 WHERE s.id = a.entity_id),
                               (SELECT username FROM users
                                 WHERE id = json_extract(a.context, '$.subject_user_id')),
                               a.entity_id) AS "account!: String",
                      a.old_value AS "old?", a.new_value AS "new?", a.reason AS "reason?"
               FROM audit_log a
               WHERE a.action IN (SELECT value FROM json_each(?3)) AND a.at >= ?1 AND a.at < ?2
               ORDER BY a.seq LIMIT ?4"#,
            from,
            to,
            accounts,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let settings = sqlx::query!(
            r#"SELECT at AS "at!", actor_name AS "by!", entity_id AS "key!", old_value AS "old?",
                      new_value AS "new?", reason AS "reason?"
               FROM audit_log WHERE action = ?3 AND at >= ?1 AND at < ?2
               ORDER BY seq LIMIT ?4"#,
            from,
            to,
            change_settings,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let discards = sqlx::query!(
            r#"SELECT at AS "at!", actor_name AS "by!", action AS "action!",
                      json_extract(new_value, '$.sample') AS "sample?: String",
                      json_extract(new_value, '$.state') AS "state?: String", reason AS "reason?"
               FROM audit_log
               WHERE action IN (?3, ?4) AND entity_type = 'discard_request' AND at >= ?1 AND at < ?2
               ORDER BY seq LIMIT ?5"#,
            from,
            to,
            request_discard,
            decide_discard,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;
        let overrides = sqlx::query!(
            r#"SELECT a.at AS "at!", a.actor_name AS "by!", r.name AS "run?", r.qc_verdict AS "verdict?",
                      r.qc_rules AS "rules?", r.qc_note AS "note?", a.reason AS "reason?"
               FROM audit_log a LEFT JOIN runs r ON r.id = a.entity_id
               WHERE a.action = ?3 AND a.entity_type = 'run'
                 AND json_extract(a.new_value, '$.decision') = 'release'
                 AND a.at >= ?1 AND a.at < ?2
               ORDER BY a.seq LIMIT ?4"#,
            from,
            to,
            decide_run,
            TABLE_ROWS
        )
        .fetch_all(&self.pool)
        .await?;

        let lockout_total = lockouts.first().map_or(0, |l| l.total);

        let chain = walk
            .await
            .map_err(|e| StoreError::Decode(format!("the audit trail walk stopped: {e}")))??;

        // ------------------------------------------------------------------ the report
        let mut report = heading.report(
            "Compliance",
            vec![
                parameter("From", format_utc(period.from)),
                parameter("To (not included)", format_utc(period.to)),
            ],
        );
        let entries: i64 = kinds.iter().map(|k| k.1).sum();
        let account_total: i64 = ACCOUNT_ACTIONS.iter().map(|a| of_kind(a.as_str())).sum();
        let intact = chain.first_break.is_none() && chain.anchor_problems.is_empty();
        report.figures = vec![
            figure(
                "Audit trail verification",
                Value::text(if intact { "intact" } else { "BROKEN" }),
            ),
            figure(
                "Audit entries verified (whole trail)",
                chain.entries_checked,
            ),
            figure("Audit entries in the period", entries),
            figure("Sign-ins", of_kind(login_ok)),
            figure("Failed sign-ins", counts.failed),
            figure("Lockouts", lockout_total),
            figure("Sign-ins refused during a lockout", counts.refused_locked),
            figure(
                "Wrong current password at a password change",
                of_kind(wrong_password),
            ),
            figure(
                "Sessions ended by an administrator",
                of_kind(name(AuditAction::SessionRevoked)),
            ),
            figure(
                "Accounts created",
                of_kind(command(CommandKind::CreateUser))
                    + of_kind(command(CommandKind::CreateFirstAdmin)),
            ),
            figure(
                "Accounts deactivated",
                of_kind(command(CommandKind::DeactivateUser)),
            ),
            figure(
                "Accounts reactivated",
                of_kind(command(CommandKind::ReactivateUser)),
            ),
            figure("Role changes", of_kind(command(CommandKind::ChangeRole))),
            figure(
                "Password resets issued",
                of_kind(command(CommandKind::IssuePasswordReset)),
            ),
            figure(
                "Password resets used",
                of_kind(command(CommandKind::RedeemPasswordReset)),
            ),
            figure(
                "Passwords changed",
                of_kind(command(CommandKind::ChangePassword)),
            ),
            figure("Settings changed", of_kind(change_settings)),
            figure("Discard requests", counts.discard_requests),
            figure("Discards approved", counts.approved),
            figure("Discards rejected", counts.rejected),
            figure("Runs released despite QC (overridden)", counts.overrides),
            figure("Runs sent to repeat after QC", counts.repeats),
            figure(
                "Voids (sites, storage)",
                of_kind(command(CommandKind::VoidSite))
                    + of_kind(command(CommandKind::VoidStorage)),
            ),
            figure(
                "Refused: not permitted",
                of_kind(name(AuditAction::PermissionDenied)),
            ),
            figure(
                "Audit trail alarms",
                of_kind(name(AuditAction::AuditChainAlarm)),
            ),
        ];
        if let Some(broken) = &chain.first_break {
            report.warnings.push(format!(
                "The audit trail does not verify: {}. Entries from there on cannot be trusted.",
                describe_break(broken)
            ));
        }
        report.warnings.extend(
            chain
                .anchor_problems
                .iter()
                .map(|p| format!("The audit trail's anchor check: {p}")),
        );
        if counts.overrides > 0 {
            report.warnings.push(format!(
                "{} runs were released although QC held them",
                counts.overrides
            ));
        }

        // Table 0 and its chart: entries per day.
        report.tables.push(table(
            "Audit entries per day (UTC)",
            vec![
                Column::new("day", "Day", ColumnKind::Text),
                Column::new("entries", "Entries", ColumnKind::Integer),
                Column::new("sign_ins", "Sign-ins", ColumnKind::Integer),
                Column::new("failed_sign_ins", "Failed sign-ins", ColumnKind::Integer),
            ],
            days.iter()
                .map(|d| {
                    vec![
                        Value::text(d.key.clone()),
                        Value::Integer(d.n),
                        Value::Integer(d.sign_ins),
                        Value::Integer(d.failed),
                    ]
                })
                .collect(),
            left_out(days_total, days.len()),
        ));
        report.charts.push(chart(
            "Audit entries per day",
            ChartKind::Line,
            0,
            days.iter().map(|d| d.key.clone()).collect(),
            vec![
                ("Entries", days.iter().map(|d| d.n).collect()),
                ("Sign-ins", days.iter().map(|d| d.sign_ins).collect()),
                ("Failed sign-ins", days.iter().map(|d| d.failed).collect()),
            ],
        ));

        // Table 1 and its chart: entries by kind.
        report.tables.push(table(
            "Audit entries by kind",
            vec![
                Column::new("kind", "Kind", ColumnKind::Text),
                Column::new("action", "Action as recorded", ColumnKind::Text),
                Column::new("entries", "Entries", ColumnKind::Integer),
            ],
            kinds
                .iter()
                .map(|(action, n)| {
                    vec![
                        Value::text(action_label(action)),
                        Value::text(action.clone()),
                        Value::Integer(*n),
                    ]
                })
                .collect(),
            0,
        ));
        report.charts.push(chart(
            "Audit entries by kind",
            ChartKind::Bar,
            1,
            kinds
                .iter()
                .map(|(action, _)| action_label(action))
                .collect(),
            vec![("Entries", kinds.iter().map(|(_, n)| *n).collect())],
        ));

        report.tables.push(table(
            "Changes by user",
            vec![
                Column::new("user", "User", ColumnKind::Text),
                Column::new("name", "Name", ColumnKind::Text),
                Column::new("entries", "Audit entries", ColumnKind::Integer),
            ],
            shown_users
                .iter()
                .map(|(name, n)| {
                    vec![
                        Value::text(name.clone()),
                        Value::opt_text(display_names.get(name).cloned()),
                        Value::Integer(*n),
                    ]
                })
                .collect(),
            left_out(users_total, shown_users.len()),
        ));

        let mut rows = Vec::with_capacity(failures.len());
        for f in &failures {
            rows.push(vec![
                time(&f.at)?,
                Value::text(f.name.clone()),
                Value::text(action_label(&f.action)),
                Value::opt_text(f.reason.clone()),
                Value::opt_text(f.device.clone()),
            ]);
        }
        report.tables.push(table(
            "Failed sign-ins and refusals",
            vec![
                Column::new("at", "When", ColumnKind::Time),
                Column::new("name", "Name tried", ColumnKind::Text),
                Column::new("kind", "Kind", ColumnKind::Text),
                Column::new("why", "Why", ColumnKind::Text),
                Column::new("workstation", "Workstation", ColumnKind::Text),
            ],
            rows,
            left_out(
                of_kind(login_failed) + of_kind(wrong_password),
                failures.len(),
            ),
        ));

        let mut rows = Vec::with_capacity(lockouts.len());
        for l in &lockouts {
            rows.push(vec![
                time(&l.at)?,
                Value::text(l.name.clone()),
                Value::Integer(l.seq),
            ]);
        }
        let shown = rows.len();
        report.tables.push(table(
            "Lockouts",
            vec![
                Column::new("at", "Locked at", ColumnKind::Time),
                Column::new("name", "Name", ColumnKind::Text),
                Column::new("audit_seq", "Audit entry", ColumnKind::Integer),
            ],
            rows,
            left_out(lockout_total, shown),
        ));

        let mut rows = Vec::with_capacity(account_changes.len());
        for a in &account_changes {
            let (before, after) = before_after(
                &audit_json(a.old.as_deref())?,
                &audit_json(a.new.as_deref())?,
            );
            rows.push(vec![
                time(&a.at)?,
                Value::text(a.by.clone()),
                Value::text(action_label(&a.action)),
                Value::text(a.account.clone()),
                before,
                after,
                Value::opt_text(a.reason.clone()),
            ]);
        }
        report.tables.push(table(
            "Account changes",
            vec![
                Column::new("at", "When", ColumnKind::Time),
                Column::new("by", "By", ColumnKind::Text),
                Column::new("change", "Change", ColumnKind::Text),
                Column::new("account", "Account", ColumnKind::Text),
                Column::new("before", "Before", ColumnKind::Text),
                Column::new("after", "After", ColumnKind::Text),
                Column::new("reason", "Reason", ColumnKind::Text),
            ],
            rows,
            left_out(account_total, account_changes.len()),
        ));

        let mut rows = Vec::with_capacity(settings.len());
        for s in &settings {
            let (before, after) = before_after(
                &audit_json(s.old.as_deref())?,
                &audit_json(s.new.as_deref())?,
            );
            rows.push(vec![
                time(&s.at)?,
                Value::text(s.by.clone()),
                Value::text(s.key.replace('_', " ")),
                before,
                after,
                Value::opt_text(s.reason.clone()),
            ]);
        }
        report.tables.push(table(
            "Settings changes",
            vec![
                Column::new("at", "When", ColumnKind::Time),
                Column::new("by", "By", ColumnKind::Text),
                Column::new("setting", "Setting", ColumnKind::Text),
                Column::new("before", "Before", ColumnKind::Text),
                Column::new("after", "After", ColumnKind::Text),
                Column::new("reason", "Reason", ColumnKind::Text),
            ],
            rows,
            left_out(of_kind(change_settings), settings.len()),
        ));

        let mut rows = Vec::with_capacity(discards.len());
        for d in &discards {
            let what = if d.action == request_discard {
                "Requested".to_owned()
            } else {
                match d.state.as_deref() {
                    Some("approved") => "Approved".to_owned(),
                    Some("rejected") => "Rejected".to_owned(),
                    other => format!("Decided ({})", other.unwrap_or("?")),
                }
            };
            rows.push(vec![
                time(&d.at)?,
                Value::text(d.by.clone()),
                Value::text(what),
                Value::opt_text(d.sample.clone()),
                Value::opt_text(d.reason.clone()),
            ]);
        }
        report.tables.push(table(
            "Discard requests and decisions",
            vec![
                Column::new("at", "When", ColumnKind::Time),
                Column::new("by", "By", ColumnKind::Text),
                Column::new("what", "What", ColumnKind::Text),
                Column::new("sample", "Sample", ColumnKind::Text),
                Column::new("reason", "Reason or note", ColumnKind::Text),
            ],
            rows,
            left_out(
                counts.discard_requests + counts.approved + counts.rejected,
                discards.len(),
            ),
        ));

        let mut rows = Vec::with_capacity(overrides.len());
        for o in &overrides {
            let rules = audit_json(o.rules.as_deref())?;
            rows.push(vec![
                time(&o.at)?,
                Value::text(o.by.clone()),
                Value::opt_text(o.run.clone()),
                Value::opt_text(o.verdict.clone()),
                Value::text(plain(&rules)),
                Value::opt_text(o.note.clone()),
                Value::opt_text(o.reason.clone()),
            ]);
        }
        report.tables.push(table(
            "Runs released despite QC",
            vec![
                Column::new("at", "When", ColumnKind::Time),
                Column::new("by", "Released by", ColumnKind::Text),
                Column::new("run", "Run", ColumnKind::Text),
                Column::new("verdict", "QC verdict", ColumnKind::Text),
                Column::new("rules", "Rules broken", ColumnKind::Text),
                Column::new("qc_note", "QC note", ColumnKind::Text),
                Column::new("reason", "Reason given", ColumnKind::Text),
            ],
            rows,
            left_out(counts.overrides, overrides.len()),
        ));
        Ok(report)
    }
}
