//! The reports (issue 17, item 1), each against the demo lab and a larger seeded lab.
//!
//! Every figure and group count a report gives is checked against a count written here
//! again, independently, in plain SQL on the same database (occupancy against the
//! placements themselves, not the boxes' counters), and every grouped table's sum against
//! its total. Then each report on data made for it: the compliance report over sign-ins,
//! a lockout, account, role, setting, discard and QC decisions made through the store, and
//! a tampered trail; occupancy of a freezer with known boxes.

use super::lab::Lab;
use super::{fixture, Fixture, TestClock, PASSWORD};
use aliquot_domain::audit::{AuditAction, AuditContext, AuditEntry, StoredAuditRow};
use aliquot_domain::reports::{Period, ReportRequest};
use aliquot_domain::runs::RunDecision;
use aliquot_domain::sample::SampleStatus;
use aliquot_domain::settings::Setting;
use aliquot_domain::storage::{BoxLayout, StorageTarget};
use aliquot_domain::{Clock, Command, DomainError, Role};
use aliquot_reports::{ChartKind, Report, Table, Value};
use aliquot_store::seed::{demo_lab, DemoSize};
use aliquot_store::{Store, StoreError};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

// ------------------------------------------------------------------------- reading

async fn make(store: &Store, request: ReportRequest) -> Report {
    store
        .report(&request, "Tess Tester (tester)")
        .await
        .unwrap_or_else(|e| panic!("{request:?}: {e}"))
}

fn figure<'a>(r: &'a Report, label: &str) -> &'a Value {
    &r.figures
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("{}: no figure {label:?}", r.title))
        .value
}

fn n(r: &Report, label: &str) -> i64 {
    match figure(r, label) {
        Value::Integer(n) => *n,
        other => panic!("{label}: {other:?} is not a count"),
    }
}

fn tab<'a>(r: &'a Report, title: &str) -> &'a Table {
    r.tables
        .iter()
        .find(|t| t.title == title)
        .unwrap_or_else(|| panic!("{}: no table {title:?}", r.title))
}

fn col(t: &Table, key: &str) -> usize {
    t.columns
        .iter()
        .position(|c| c.key == key)
        .unwrap_or_else(|| panic!("{}: no column {key}", t.title))
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(n) => *n,
        other => panic!("{other:?} is not an integer"),
    }
}

fn text(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        Value::Empty => "",
        other => panic!("{other:?} is not text"),
    }
}

fn sum(t: &Table, key: &str) -> i64 {
    let c = col(t, key);
    t.rows.iter().map(|r| int(&r[c])).sum()
}

/// The row whose `key` column says `value`.
fn row<'a>(t: &'a Table, key: &str, value: &str) -> &'a [Value] {
    let c = col(t, key);
    t.rows
        .iter()
        .find(|r| text(&r[c]) == value)
        .unwrap_or_else(|| panic!("{}: no row with {key} = {value:?}", t.title))
}

/// The whole list a bounded table stands for.
fn listed(t: &Table) -> i64 {
    i64::try_from(t.rows.len()).unwrap() + i64::try_from(t.rows_left_out).unwrap()
}

/// A count in plain SQL, the parameters bound in order.
async fn count(store: &Store, sql: &str, binds: &[&str]) -> i64 {
    let mut q = sqlx::query_scalar::<_, i64>(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.fetch_one(store.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn at(t: DateTime<Utc>) -> String {
    aliquot_domain::audit::format_utc(t)
}

/// A chart's numbers are its table's.
fn chart_matches(r: &Report, title: &str, label_key: &str, series: &[(&str, &str)]) {
    let chart = r
        .charts
        .iter()
        .find(|c| c.title.starts_with(title))
        .unwrap_or_else(|| panic!("no chart {title:?}"));
    let t = &r.tables[chart.table as usize];
    let lc = col(t, label_key);
    let labels: Vec<&str> = t.rows.iter().map(|row| text(&row[lc])).collect();
    assert_eq!(chart.labels, labels, "{title}");
    for (name, key) in series {
        let s = chart
            .series
            .iter()
            .find(|s| s.name == *name)
            .unwrap_or_else(|| panic!("{title}: no series {name}"));
        let c = col(t, key);
        let values: Vec<f64> = t.rows.iter().map(|row| int(&row[c]) as f64).collect();
        assert_eq!(s.values, values, "{title}: {name}");
    }
}

// ------------------------------------------------------------------------- the checks

/// The inventory against SQL: every figure, every group, every sum.
async fn check_inventory(store: &Store) {
    let r = make(store, ReportRequest::Inventory).await;
    let total = count(store, "SELECT COUNT(*) FROM samples", &[]).await;
    assert!(total > 0);
    assert_eq!(n(&r, "Samples"), total);
    let placed = count(store, "SELECT COUNT(*) FROM placements", &[]).await;
    assert_eq!(n(&r, "In a box"), placed);
    assert_eq!(
        n(&r, "Not placed"),
        count(
            store,
            "SELECT COUNT(*) FROM samples WHERE id NOT IN (SELECT sample_id FROM placements)",
            &[]
        )
        .await
    );
    assert_eq!(
        n(&r, "Aliquots among them"),
        count(
            store,
            "SELECT COUNT(*) FROM samples WHERE parent_id IS NOT NULL",
            &[]
        )
        .await
    );
    for (label, consent) in [
        ("Consent given", "given"),
        ("Consent withdrawn", "withdrawn"),
    ] {
        assert_eq!(
            n(&r, label),
            count(
                store,
                "SELECT COUNT(*) FROM participants WHERE consent = ?1",
                &[consent]
            )
            .await
        );
    }
    let participants = count(store, "SELECT COUNT(*) FROM participants", &[]).await;
    assert_eq!(n(&r, "Participants"), participants);
    let held = count(
        store,
        "SELECT COUNT(*) FROM samples WHERE status NOT IN ('disposed', 'depleted')
           AND participant_id IN (SELECT id FROM participants WHERE consent = 'withdrawn')",
        &[],
    )
    .await;
    assert_eq!(n(&r, "Samples held of participants who withdrew"), held);
    assert_eq!(r.warnings.len(), usize::from(held > 0));

    // By status: every status once, each its count.
    let t = tab(&r, "Samples by status");
    assert_eq!(t.rows.len(), SampleStatus::ALL.len());
    assert_eq!(sum(t, "samples"), total);
    let labels = [
        ("collected", "Collected"),
        ("in_transit", "In transit"),
        ("received", "Received"),
        ("processing", "Processing"),
        ("stored", "Stored"),
        ("checked_out", "Checked out"),
        ("depleted", "Depleted"),
        ("disposed", "Disposed"),
    ];
    for (status, label) in labels {
        assert_eq!(
            int(&row(t, "status", label)[1]),
            count(
                store,
                "SELECT COUNT(*) FROM samples WHERE status = ?1",
                &[status]
            )
            .await,
            "{status}"
        );
    }
    chart_matches(&r, "Samples by status", "status", &[("Samples", "samples")]);

    // By type, by label.
    let t = tab(&r, "Samples by type");
    assert_eq!(sum(t, "samples"), total);
    for row in &t.rows {
        let expected = count(
            store,
            "SELECT COUNT(*) FROM samples s LEFT JOIN sample_types t ON t.code = s.sample_type
             WHERE COALESCE(t.label, s.sample_type) = ?1",
            &[text(&row[0])],
        )
        .await;
        assert_eq!(int(&row[1]), expected, "{}", text(&row[0]));
    }
    chart_matches(&r, "Samples by type", "type", &[("Samples", "samples")]);

    // Type × status: every cell, and each row adds up to its total.
    let t = tab(&r, "Samples by type and status");
    assert_eq!(sum(t, "total"), total);
    for row in &t.rows {
        let mut cells = 0;
        for (status, _) in labels {
            let c = col(t, status);
            let expected = count(
                store,
                "SELECT COUNT(*) FROM samples s LEFT JOIN sample_types t ON t.code = s.sample_type
                 WHERE COALESCE(t.label, s.sample_type) = ?1 AND s.status = ?2",
                &[text(&row[0]), status],
            )
            .await;
            assert_eq!(int(&row[c]), expected, "{} {status}", text(&row[0]));
            cells += expected;
        }
        assert_eq!(int(&row[col(t, "total")]), cells);
    }

    // By site, with consent.
    let t = tab(&r, "Samples and consent by site");
    assert_eq!(sum(t, "samples"), total);
    assert_eq!(sum(t, "participants"), participants);
    assert_eq!(sum(t, "held_withdrawn"), held);
    for row in &t.rows {
        let site = text(&row[0]);
        assert_eq!(
            int(&row[col(t, "samples")]),
            count(
                store,
                "SELECT COUNT(*) FROM samples s, participants p, sites si
                 WHERE p.id = s.participant_id AND si.id = p.site_id AND si.code = ?1",
                &[site]
            )
            .await
        );
        assert_eq!(
            int(&row[col(t, "consent_withdrawn")]),
            count(
                store,
                "SELECT COUNT(*) FROM participants p, sites si
                 WHERE si.id = p.site_id AND si.code = ?1 AND p.consent = 'withdrawn'",
                &[site]
            )
            .await
        );
    }

    // By field event, "No field event" its own row.
    let t = tab(&r, "Samples by field event");
    assert_eq!(t.rows_left_out, 0);
    assert_eq!(sum(t, "samples"), total);
    for row in &t.rows {
        let expected = if text(&row[0]) == "No field event" {
            count(
                store,
                "SELECT COUNT(*) FROM samples WHERE event_id IS NULL",
                &[],
            )
            .await
        } else {
            count(
                store,
                "SELECT COUNT(*) FROM samples s, field_events e WHERE e.id = s.event_id AND e.name = ?1",
                &[text(&row[0])],
            )
            .await
        };
        assert_eq!(int(&row[3]), expected, "{}", text(&row[0]));
    }

    // By freezer, "Not placed" its own row.
    let t = tab(&r, "Samples by freezer");
    assert_eq!(sum(t, "samples"), total);
    for row in &t.rows {
        let expected = if text(&row[0]) == "Not placed" {
            total - placed
        } else {
            count(
                store,
                "SELECT COUNT(*) FROM placements p, boxes b, racks r, freezers f
                 WHERE b.id = p.box_id AND r.id = b.rack_id AND f.id = r.freezer_id AND f.name = ?1",
                &[text(&row[0])],
            )
            .await
        };
        assert_eq!(int(&row[2]), expected, "{}", text(&row[0]));
    }
}

/// Storage of the boxes counted from `placements`, the way a person would count tubes.
const LIVE_BOXES: &str =
    "FROM boxes b JOIN racks r ON r.id = b.rack_id JOIN freezers f ON f.id = r.freezer_id
     WHERE b.voided_at IS NULL AND r.voided_at IS NULL AND f.voided_at IS NULL";

/// Occupancy of every freezer against SQL, then each freezer's own report against its row.
async fn check_occupancy(store: &Store) {
    let r = make(store, ReportRequest::Occupancy { freezer_id: None }).await;
    let t = tab(&r, "Occupancy by freezer");
    assert_eq!(
        i64::try_from(t.rows.len()).unwrap(),
        count(
            store,
            "SELECT COUNT(*) FROM freezers WHERE voided_at IS NULL",
            &[]
        )
        .await
    );
    for row in &t.rows {
        let name = text(&row[0]);
        let positions = count(
            store,
            &format!("SELECT COALESCE(SUM(b.capacity), 0) {LIVE_BOXES} AND f.name = ?1"),
            &[name],
        )
        .await;
        let used = count(
            store,
            &format!(
                "SELECT COUNT(*) FROM placements p WHERE p.box_id IN
                   (SELECT b.id {LIVE_BOXES} AND f.name = ?1 AND b.capacity IS NOT NULL)"
            ),
            &[name],
        )
        .await;
        let unlimited = count(
            store,
            &format!(
                "SELECT COUNT(*) FROM placements p WHERE p.box_id IN
                   (SELECT b.id {LIVE_BOXES} AND f.name = ?1 AND b.capacity IS NULL)"
            ),
            &[name],
        )
        .await;
        let boxes = count(
            store,
            &format!("SELECT COUNT(*) {LIVE_BOXES} AND f.name = ?1"),
            &[name],
        )
        .await;
        assert_eq!(int(&row[col(t, "boxes")]), boxes, "{name}");
        assert_eq!(int(&row[col(t, "positions")]), positions, "{name}");
        assert_eq!(int(&row[col(t, "used")]), used, "{name}");
        assert_eq!(int(&row[col(t, "free")]), positions - used, "{name}");
        assert_eq!(int(&row[col(t, "in_unlimited_bags")]), unlimited, "{name}");
    }
    for (figure_label, key) in [
        ("Boxes", "boxes"),
        ("Positions", "positions"),
        ("Used", "used"),
        ("Free", "free"),
        ("Tubes in bags without a limit", "in_unlimited_bags"),
    ] {
        assert_eq!(n(&r, figure_label), sum(t, key), "{figure_label}");
    }
    chart_matches(
        &r,
        "Used and free positions by freezer",
        "freezer",
        &[("Used", "used"), ("Free", "free")],
    );
    let racks = tab(&r, "Occupancy by rack");
    assert_eq!(
        listed(racks),
        count(
            store,
            "SELECT COUNT(*) FROM racks r JOIN freezers f ON f.id = r.freezer_id
                      WHERE r.voided_at IS NULL AND f.voided_at IS NULL",
            &[]
        )
        .await
    );
    assert_eq!(n(&r, "Racks"), listed(racks));
    if racks.rows_left_out == 0 {
        assert_eq!(sum(racks, "used"), n(&r, "Used"));
        assert_eq!(sum(racks, "positions"), n(&r, "Positions"));
    }

    let with_space = count(
        store,
        &format!(
            "SELECT COUNT(*) {LIVE_BOXES} AND (b.capacity IS NULL OR
               (SELECT COUNT(*) FROM placements p WHERE p.box_id = b.id) < b.capacity)"
        ),
        &[],
    )
    .await;
    assert_eq!(n(&r, "Boxes with space"), with_space);
    assert_eq!(listed(tab(&r, "Boxes with space")), with_space);
    assert_eq!(
        n(&r, "Empty boxes"),
        count(
            store,
            &format!(
                "SELECT COUNT(*) {LIVE_BOXES} AND NOT EXISTS (SELECT 1 FROM placements p WHERE p.box_id = b.id)"
            ),
            &[]
        )
        .await
    );
    // The free positions named are as many as each box's free count.
    let empty = tab(&r, "Empty positions");
    assert_eq!(
        listed(empty),
        count(
            store,
            &format!(
                "SELECT COUNT(*) {LIVE_BOXES} AND b.rows IS NOT NULL AND
                   (SELECT COUNT(*) FROM placements p WHERE p.box_id = b.id) < b.capacity"
            ),
            &[]
        )
        .await
    );
    for row in empty.rows.iter().take(40) {
        let free = count(
            store,
            &format!(
                "SELECT b.capacity - (SELECT COUNT(*) FROM placements p WHERE p.box_id = b.id)
                 {LIVE_BOXES} AND f.name = ?1 AND r.name = ?2 AND b.name = ?3"
            ),
            &[text(&row[0]), text(&row[1]), text(&row[2])],
        )
        .await;
        assert_eq!(int(&row[3]), free);
        let names = text(&row[4]).split(' ').filter(|s| !s.is_empty()).count();
        assert_eq!(i64::try_from(names).unwrap(), free);
    }
    // Defragmentation: the boxes listed are the groups' boxes.
    let groups = tab(
        &r,
        "Defragmentation: boxes under half full that fit into fewer",
    );
    let boxes = tab(&r, "Defragmentation: the boxes to merge");
    if boxes.rows_left_out == 0 {
        assert_eq!(sum(groups, "boxes"), listed(boxes));
        assert_eq!(sum(groups, "tubes"), sum(boxes, "tubes"));
    }
    for row in &boxes.rows {
        let (tubes, positions) = (
            int(&row[col(boxes, "tubes")]),
            int(&row[col(boxes, "positions")]),
        );
        assert!(tubes > 0 && 2 * tubes < positions, "{row:?}");
    }
    assert_eq!(
        n(&r, "Boxes that merging would empty"),
        sum(groups, "boxes_freed")
    );

    // Each freezer alone: its racks add up to its row above.
    let ids: Vec<(String, String)> =
        sqlx::query_as("SELECT id, name FROM freezers WHERE voided_at IS NULL")
            .fetch_all(store.pool())
            .await
            .unwrap();
    for (id, name) in ids {
        let one = make(
            store,
            ReportRequest::Occupancy {
                freezer_id: Some(id.parse().unwrap()),
            },
        )
        .await;
        let all_row = row(t, "freezer", &name);
        let racks = tab(&one, "Occupancy by rack");
        assert_eq!(racks.rows_left_out, 0);
        assert_eq!(sum(racks, "used"), int(&all_row[col(t, "used")]), "{name}");
        assert_eq!(sum(racks, "free"), int(&all_row[col(t, "free")]), "{name}");
        assert_eq!(n(&one, "Used"), int(&all_row[col(t, "used")]));
        let boxes = tab(&one, "Boxes");
        assert_eq!(listed(boxes), int(&all_row[col(t, "boxes")]));
        let chart = &one.charts[0];
        assert_eq!(chart.kind, ChartKind::StackedBar);
        assert_eq!(chart.table, 1);
    }
}

/// The compliance report over `period` against SQL on the audit trail.
async fn check_compliance(store: &Store, period: Period) -> Report {
    let r = make(store, ReportRequest::Compliance { period }).await;
    let (from, to) = (at(period.from), at(period.to));
    let within = "FROM audit_log WHERE at >= ?1 AND at < ?2";
    let entries = count(store, &format!("SELECT COUNT(*) {within}"), &[&from, &to]).await;
    assert_eq!(n(&r, "Audit entries in the period"), entries);
    let kinds = tab(&r, "Audit entries by kind");
    assert_eq!(sum(kinds, "entries"), entries);
    for row in &kinds.rows {
        let action = text(&row[col(kinds, "action")]);
        assert_eq!(
            int(&row[col(kinds, "entries")]),
            count(
                store,
                &format!("SELECT COUNT(*) {within} AND action = ?3"),
                &[&from, &to, action]
            )
            .await,
            "{action}"
        );
    }
    chart_matches(
        &r,
        "Audit entries by kind",
        "kind",
        &[("Entries", "entries")],
    );
    let days = tab(&r, "Audit entries per day (UTC)");
    assert_eq!(days.rows_left_out, 0);
    assert_eq!(sum(days, "entries"), entries);
    assert_eq!(sum(days, "sign_ins"), n(&r, "Sign-ins"));
    chart_matches(
        &r,
        "Audit entries per day",
        "day",
        &[("Entries", "entries"), ("Sign-ins", "sign_ins")],
    );
    let users = tab(&r, "Changes by user");
    assert_eq!(sum(users, "entries"), entries);
    for row in &users.rows {
        assert_eq!(
            int(&row[2]),
            count(
                store,
                &format!("SELECT COUNT(*) {within} AND actor_name = ?3"),
                &[&from, &to, text(&row[0])]
            )
            .await
        );
    }
    let of = |action: &'static str| {
        let (from, to) = (from.clone(), to.clone());
        async move {
            count(
                store,
                "SELECT COUNT(*) FROM audit_log WHERE at >= ?1 AND at < ?2 AND action = ?3",
                &[&from, &to, action],
            )
            .await
        }
    };
    assert_eq!(n(&r, "Sign-ins"), of("login_succeeded").await);
    assert_eq!(
        n(&r, "Failed sign-ins") + n(&r, "Sign-ins refused during a lockout"),
        of("login_failed").await
    );
    assert_eq!(
        n(&r, "Accounts created"),
        of("create_user").await + of("create_first_admin").await
    );
    assert_eq!(n(&r, "Role changes"), of("change_role").await);
    assert_eq!(n(&r, "Accounts deactivated"), of("deactivate_user").await);
    assert_eq!(n(&r, "Settings changed"), of("change_settings").await);
    assert_eq!(
        listed(tab(&r, "Settings changes")),
        of("change_settings").await
    );
    assert_eq!(
        listed(tab(&r, "Failed sign-ins and refusals")),
        of("login_failed").await + of("password_change_refused").await
    );
    assert_eq!(listed(tab(&r, "Lockouts")), n(&r, "Lockouts"));
    let request_rows = count(
        store,
        "SELECT COUNT(*) FROM audit_log WHERE at >= ?1 AND at < ?2 AND action = 'request_discard'
           AND entity_type = 'discard_request'",
        &[&from, &to],
    )
    .await;
    assert_eq!(n(&r, "Discard requests"), request_rows);
    let decisions = count(
        store,
        "SELECT COUNT(*) FROM audit_log WHERE at >= ?1 AND at < ?2 AND action = 'decide_discard'
           AND entity_type = 'discard_request'",
        &[&from, &to],
    )
    .await;
    assert_eq!(
        n(&r, "Discards approved") + n(&r, "Discards rejected"),
        decisions
    );
    assert_eq!(
        listed(tab(&r, "Discard requests and decisions")),
        request_rows + decisions
    );
    assert_eq!(
        listed(tab(&r, "Runs released despite QC")),
        n(&r, "Runs released despite QC (overridden)")
    );
    assert_eq!(
        n(&r, "Audit entries verified (whole trail)"),
        count(store, "SELECT COUNT(*) FROM audit_log", &[]).await
    );
    r
}

/// A field event's summary against SQL.
async fn check_field_event(store: &Store, event: &str) -> Report {
    let r = make(
        store,
        ReportRequest::FieldEvent {
            event_id: event.parse().unwrap(),
        },
    )
    .await;
    let samples = count(
        store,
        "SELECT COUNT(*) FROM samples WHERE event_id = ?1",
        &[event],
    )
    .await;
    let checked_in = count(
        store,
        "SELECT COUNT(*) FROM event_check_ins WHERE event_id = ?1",
        &[event],
    )
    .await;
    let no_sample = count(
        store,
        "SELECT COUNT(*) FROM event_check_ins c LEFT JOIN
           (SELECT DISTINCT participant_id FROM samples WHERE event_id = ?1) s
           ON s.participant_id = c.participant_id
         WHERE c.event_id = ?1 AND s.participant_id IS NULL",
        &[event],
    )
    .await;
    assert_eq!(n(&r, "Samples collected"), samples);
    assert_eq!(n(&r, "Participants checked in"), checked_in);
    assert_eq!(n(&r, "Checked in, no sample"), no_sample);
    assert_eq!(
        n(&r, "Kits registered"),
        count(
            store,
            "SELECT COUNT(*) FROM kit_registrations WHERE event_id = ?1",
            &[event]
        )
        .await
    );
    assert_eq!(
        n(&r, "Participants who gave samples"),
        count(
            store,
            "SELECT COUNT(*) FROM (SELECT DISTINCT participant_id FROM samples WHERE event_id = ?1)",
            &[event]
        )
        .await
    );
    assert_eq!(sum(tab(&r, "Samples by type"), "samples"), samples);
    assert_eq!(sum(tab(&r, "Samples by status now"), "samples"), samples);
    assert_eq!(sum(tab(&r, "Collectors"), "samples"), samples);
    let check_ins = tab(&r, "Check-ins");
    assert_eq!(listed(check_ins), checked_in);
    if check_ins.rows_left_out == 0 {
        assert_eq!(sum(check_ins, "samples"), samples);
    }
    assert_eq!(listed(tab(&r, "Checked in, no sample")), no_sample);
    chart_matches(&r, "Samples by type", "type", &[("Samples", "samples")]);
    r
}

/// The discards report over `period` against SQL.
async fn check_discards(store: &Store, period: Period) -> Report {
    let r = make(store, ReportRequest::Discards { period }).await;
    let (from, to) = (at(period.from), at(period.to));
    let requested = count(
        store,
        "SELECT COUNT(*) FROM discard_requests WHERE requested_at >= ?1 AND requested_at < ?2",
        &[&from, &to],
    )
    .await;
    assert_eq!(n(&r, "Discard requests made"), requested);
    let by_state = tab(&r, "Requests made in the period, by state now");
    assert_eq!(sum(by_state, "requests"), requested);
    for (label, state) in [
        ("Waiting for a decision", "pending"),
        ("Approved", "approved"),
        ("Rejected", "rejected"),
    ] {
        assert_eq!(
            int(&row(by_state, "state", label)[1]),
            count(
                store,
                "SELECT COUNT(*) FROM discard_requests WHERE requested_at >= ?1 AND requested_at < ?2
                   AND state = ?3",
                &[&from, &to, state]
            )
            .await
        );
    }
    chart_matches(
        &r,
        "Requests made in the period",
        "state",
        &[("Requests", "requests")],
    );
    assert_eq!(listed(tab(&r, "Requests made in the period")), requested);
    let decided = count(
        store,
        "SELECT COUNT(*) FROM discard_requests WHERE decided_at >= ?1 AND decided_at < ?2",
        &[&from, &to],
    )
    .await;
    assert_eq!(n(&r, "Decisions made"), decided);
    assert_eq!(n(&r, "Approved") + n(&r, "Rejected"), decided);
    assert_eq!(listed(tab(&r, "Decisions made in the period")), decided);
    let disposed = count(
        store,
        "SELECT COUNT(*) FROM sample_status_history WHERE to_status = 'disposed' AND at >= ?1 AND at < ?2",
        &[&from, &to],
    )
    .await;
    assert_eq!(n(&r, "Samples disposed"), disposed);
    assert_eq!(
        sum(tab(&r, "Samples disposed, by type"), "disposed"),
        disposed
    );
    assert_eq!(listed(tab(&r, "Samples disposed")), disposed);
    let stale = count(
        store,
        "SELECT COUNT(*) FROM discard_requests WHERE state = 'pending' AND requested_at < ?1",
        &[&at(store.now() - Duration::days(7))],
    )
    .await;
    assert_eq!(n(&r, "Requests waiting more than 7 days"), stale);
    assert_eq!(
        r.warnings.iter().any(|w| w.contains("more than 7 days")),
        stale > 0
    );
    r
}

async fn event_ids(store: &Store) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM field_events ORDER BY name")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

// ------------------------------------------------------------------------- the labs

fn clock() -> Arc<TestClock> {
    Arc::new(TestClock(Mutex::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap(),
    )))
}

async fn demo_store(size: DemoSize) -> (tempfile::TempDir, Arc<TestClock>, Store) {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let store = Store::open(dir.path(), clock.clone()).await.unwrap();
    demo_lab(&store, size).await.unwrap();
    (dir, clock, store)
}

fn around(t: DateTime<Utc>, days: i64) -> Period {
    Period {
        from: t - Duration::days(days),
        to: t + Duration::days(1),
    }
}

#[tokio::test]
async fn every_report_agrees_with_sql_on_the_demo_lab() {
    let (_dir, clock, store) = demo_store(DemoSize::default()).await;
    // Two sign-ins and a wrong password, through the store.
    let (_, _, _, password) = aliquot_store::seed::DEMO_ACCOUNTS[1];
    store.login("manager", password).await.unwrap();
    store.login("tech", "not the password").await.unwrap_err();
    store
        .login("admin", aliquot_store::seed::DEMO_ACCOUNTS[0].3)
        .await
        .unwrap();

    check_inventory(&store).await;
    check_occupancy(&store).await;
    let period = around(clock.now(), 1);
    let r = check_compliance(&store, period).await;
    assert_eq!(n(&r, "Sign-ins"), 2);
    assert_eq!(n(&r, "Failed sign-ins"), 1);
    assert_eq!(n(&r, "Accounts created"), 4);
    assert_eq!(n(&r, "Discard requests"), 4);
    assert_eq!(
        (n(&r, "Discards approved"), n(&r, "Discards rejected")),
        (1, 1)
    );
    assert_eq!(
        figure(&r, "Audit trail verification"),
        &Value::text("intact")
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    let events = event_ids(&store).await;
    assert_eq!(events.len(), 2);
    for event in &events {
        let r = check_field_event(&store, event).await;
        // 30 checked in, each with a 5-tube kit.
        assert_eq!(n(&r, "Participants checked in"), 30);
        assert_eq!(n(&r, "Samples collected"), 150);
        assert_eq!(n(&r, "Checked in, no sample"), 0);
    }

    let r = check_discards(&store, period).await;
    assert_eq!(n(&r, "Discard requests made"), 4);
    assert_eq!(n(&r, "Samples disposed"), 1);
    assert_eq!(n(&r, "Requests waiting more than 7 days"), 0);
    // A week and a day later the two still waiting are overdue.
    clock.advance(Duration::days(8));
    let r = check_discards(&store, around(clock.now(), 10)).await;
    assert_eq!(n(&r, "Requests waiting more than 7 days"), 2);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.starts_with("2 discard requests")));
}

/// The demo lab at 120 participants a site (1,800 tubes), then, in bulk: 900 more
/// participants with 4,500 received tubes (some of a type not in the lab's list), three more
/// freezers of 10 × 10 boxes and bags (a rack and a box voided, a freezer voided), the
/// tubes not yet placed put in them unevenly, 300 discard requests over 20 days (a third
/// each pending, approved and disposed, rejected), 3,000 sign-in rows chained properly
/// over 25 days, among them 12 failures in a row for one name (two lockouts) and failures
/// broken by a sign-in for another (none), and ten check-ins with no sample.
async fn larger_lab() -> (tempfile::TempDir, Arc<TestClock>, Store) {
    // The demo places its tubes in its 20 boxes of 90: 120 participants a site (1,800
    // tubes) fills them exactly.
    let (dir, clock, store) = demo_store(DemoSize {
        participants_per_site: 120,
        checked_in_per_event: 60,
    })
    .await;
    let now = clock.now();
    let stamp = at(now);
    let ids: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT username, id FROM users")
            .fetch_all(store.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
    let mut tx = store.pool().begin().await.unwrap();

    // 900 more participants, 5 tubes each, received; one in 37 withdrew.
    let sites: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, participant_range_start FROM sites ORDER BY code")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    let types = [
        "plasma",
        "plasma",
        "serum",
        "buffy_coat",
        "urine",
        "dna",
        "csf_unlisted",
    ];
    let mut code = 0;
    for (site, start) in &sites {
        for k in 0..300_i64 {
            let participant = Uuid::now_v7().to_string();
            let number = start + 5_000 + k;
            sqlx::query("INSERT INTO participants (id, site_id, number, code, consent, consent_date, created_at, created_by, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, '2026-01-10', ?6, ?7, ?6)")
                .bind(&participant).bind(site).bind(number).bind(format!("P{number}"))
                .bind(if k % 37 == 5 { "withdrawn" } else { "given" })
                .bind(&stamp).bind(&ids["desk"])
                .execute(&mut *tx).await.unwrap();
            for t in 0..5 {
                code += 1;
                sqlx::query("INSERT INTO samples (id, code, participant_id, sample_type, status, collected_at, collector, created_at, updated_at)
                             VALUES (?1, ?2, ?3, ?4, 'received', ?5, 'Bulk Collector', ?5, ?5)")
                    .bind(Uuid::now_v7().to_string()).bind(format!("BK{code:06}")).bind(&participant)
                    .bind(types[(usize::try_from(k).unwrap() + t) % types.len()]).bind(&stamp)
                    .execute(&mut *tx).await.unwrap();
            }
        }
    }

    // Storage.
    let mut boxes: Vec<(String, Option<i64>)> = Vec::new(); // (id, grid side or bag)
    for f in 1..=3 {
        let freezer = Uuid::now_v7().to_string();
        sqlx::query("INSERT INTO freezers (id, name, location, kind, temperature_c, created_at) VALUES (?1, ?2, 'Basement', 'ultra_low', -80, ?3)")
            .bind(&freezer).bind(format!("Bulk freezer {f}")).bind(&stamp)
            .execute(&mut *tx).await.unwrap();
        for r in 1..=8 {
            let rack = Uuid::now_v7().to_string();
            sqlx::query("INSERT INTO racks (id, freezer_id, name, created_at, voided_at, void_reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(&rack).bind(&freezer).bind(format!("Rack {r:02}")).bind(&stamp)
                .bind((r == 8).then(|| stamp.clone()))
                .bind((r == 8).then_some("never used"))
                .execute(&mut *tx).await.unwrap();
            for b in 1..=12 {
                let id = Uuid::now_v7().to_string();
                let bag = b == 12;
                sqlx::query("INSERT INTO boxes (id, rack_id, name, barcode, box_type, rows, columns, capacity, created_at, voided_at, void_reason)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10)")
                    .bind(&id).bind(&rack).bind(format!("B{f}{r:02}{b:02}"))
                    .bind(format!("BULK{f}{r:02}{b:02}"))
                    .bind(if bag { "bag" } else { "100-tube box" })
                    .bind((!bag).then_some(10_i64))
                    .bind(if bag { (r != 1).then_some(25_i64) } else { Some(100) })
                    .bind(&stamp)
                    .bind((b == 11 && r == 2).then(|| stamp.clone()))
                    .bind((b == 11 && r == 2).then_some("cracked"))
                    .execute(&mut *tx).await.unwrap();
                if r != 8 && !(b == 11 && r == 2) {
                    boxes.push((id, (!bag).then_some(10)));
                }
            }
        }
    }
    sqlx::query("INSERT INTO freezers (id, name, location, kind, temperature_c, created_at, voided_at, void_reason) VALUES (?1, 'Old freezer', 'Basement', 'ultra_low', -80, ?2, ?2, 'scrapped')")
        .bind(Uuid::now_v7().to_string()).bind(&stamp)
        .execute(&mut *tx).await.unwrap();
    let unplaced: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM samples WHERE status = 'received'
           AND id NOT IN (SELECT sample_id FROM placements) ORDER BY code",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    let fills = [100, 100, 73, 40, 12, 0, 49, 50, 3, 100, 1, 30];
    let mut tubes = unplaced.iter();
    let mut placed = Vec::new();
    'boxes: for (i, (box_id, side)) in boxes.iter().enumerate() {
        let fill = match side {
            Some(_) => fills[i % fills.len()],
            None => 10,
        };
        for k in 0..fill {
            let Some(sample) = tubes.next() else {
                break 'boxes;
            };
            let (position, row, column) = match side {
                Some(side) => {
                    let (row, column) = (k / side, k % side);
                    let letter = char::from(b'A' + u8::try_from(row).unwrap());
                    (
                        Some(format!("{letter}{}", column + 1)),
                        Some(row),
                        Some(column),
                    )
                }
                None => (None, None, None),
            };
            sqlx::query("INSERT INTO placements (sample_id, box_id, position, row_index, column_index, placed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .bind(sample).bind(box_id).bind(position).bind(row).bind(column).bind(&stamp)
                .execute(&mut *tx).await.unwrap();
            placed.push(sample.clone());
        }
    }
    // Ours and the demo's two aliquots.
    assert_eq!(placed.len(), 4_502);
    sqlx::query("UPDATE samples SET status = 'stored' WHERE status = 'received' AND id IN (SELECT sample_id FROM placements)")
        .execute(&mut *tx).await.unwrap();

    // Discard requests over 20 days.
    for (i, sample) in placed.iter().step_by(10).take(300).enumerate() {
        let requested = now - Duration::days(i64::try_from(i % 20).unwrap()) - Duration::hours(1);
        let decided = requested + Duration::hours(20);
        let state = ["pending", "approved", "rejected"][i % 3];
        let pending = state == "pending";
        sqlx::query("INSERT INTO discard_requests (id, sample_id, requested_by, requested_at, reason, state, decided_by, decided_at, decision_note)
                     VALUES (?1, ?2, ?3, ?4, 'thawed in transit', ?5, ?6, ?7, ?8)")
            .bind(Uuid::now_v7().to_string()).bind(sample).bind(&ids["tech"]).bind(at(requested))
            .bind(state)
            .bind((!pending).then(|| ids["manager"].clone()))
            .bind((!pending).then(|| at(decided)))
            .bind((!pending).then_some("checked"))
            .execute(&mut *tx).await.unwrap();
        if state == "approved" {
            sqlx::query("UPDATE samples SET status = 'disposed' WHERE id = ?1")
                .bind(sample)
                .execute(&mut *tx)
                .await
                .unwrap();
            sqlx::query("INSERT INTO sample_status_history (sample_id, from_status, to_status, via, actor_id, at, reason, command_id)
                         VALUES (?1, 'stored', 'disposed', 'discard', ?2, ?3, 'checked', ?4)")
                .bind(sample).bind(&ids["manager"]).bind(at(decided)).bind(Uuid::now_v7().to_string())
                .execute(&mut *tx).await.unwrap();
        }
    }

    // Sign-in rows, chained after the trail's head.
    let (mut seq, mut hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let names = ["tech", "desk", "manager", "admin"];
    let mut planned: Vec<(String, AuditAction, Option<&str>, DateTime<Utc>)> = Vec::new();
    for i in 0..3_000_i64 {
        let when = now - Duration::days(i % 25) - Duration::minutes(i % 600);
        planned.push((
            names[(i % 4) as usize].into(),
            AuditAction::LoginSucceeded,
            None,
            when,
        ));
        if i == 1_000 {
            for _ in 0..12 {
                planned.push((
                    "mallory".into(),
                    AuditAction::LoginFailed,
                    Some("wrong credentials"),
                    when,
                ));
            }
            planned.push((
                "mallory".into(),
                AuditAction::LoginFailed,
                Some("locked out"),
                when,
            ));
        }
        if i == 2_000 {
            for k in 0..7 {
                if k == 3 {
                    planned.push(("desk".into(), AuditAction::LoginSucceeded, None, when));
                }
                planned.push((
                    "desk".into(),
                    AuditAction::LoginFailed,
                    Some("wrong credentials"),
                    when,
                ));
            }
        }
    }
    for (name, action, reason, when) in planned {
        let user = ids.get(&name).map_or(Uuid::nil(), |id| id.parse().unwrap());
        let entry = AuditEntry {
            actor_id: user,
            actor_name: name.clone(),
            at: when,
            action,
            entity_type: "session",
            entity_id: if user.is_nil() {
                name.clone()
            } else {
                Uuid::now_v7().to_string()
            },
            old_value: None,
            new_value: None,
            reason: reason.map(str::to_owned),
            context: AuditContext {
                device_id: store.device_id().into(),
                command_id: None,
                subject_user_id: (!user.is_nil()).then_some(user),
            },
        };
        let row = StoredAuditRow::chain(&entry, seq, &hash);
        sqlx::query("INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity_type, entity_id, old_value, new_value, reason, context, prev_hash, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
            .bind(row.seq).bind(&row.at).bind(&row.actor_id).bind(&row.actor_name).bind(&row.action)
            .bind(&row.entity_type).bind(&row.entity_id).bind(&row.old_value).bind(&row.new_value)
            .bind(&row.reason).bind(&row.context).bind(&row.prev_hash).bind(&row.hash)
            .execute(&mut *tx).await.unwrap();
        (seq, hash) = (row.seq, row.hash);
    }

    // Ten participants of the first event's site checked in there, with no tube of it.
    sqlx::query(
        "INSERT INTO event_check_ins (event_id, participant_id, checked_in_at, checked_in_by)
         SELECT e.id, p.id, ?1, ?2 FROM field_events e
         JOIN participants p ON p.site_id = e.site_id
         WHERE e.name = 'Community collection day 1'
           AND p.id NOT IN (SELECT participant_id FROM event_check_ins)
         ORDER BY p.number LIMIT 10",
    )
    .bind(&stamp)
    .bind(&ids["desk"])
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (dir, clock, store)
}

#[tokio::test]
async fn every_report_agrees_with_sql_on_a_larger_lab() {
    let (_dir, clock, store) = larger_lab().await;
    check_inventory(&store).await;
    check_occupancy(&store).await;

    let period = around(clock.now(), 40);
    let r = check_compliance(&store, period).await;
    assert!(n(&r, "Sign-ins") > 3_000);
    assert_eq!(n(&r, "Lockouts"), 2);
    let lockouts = tab(&r, "Lockouts");
    assert!(lockouts.rows.iter().all(|row| text(&row[1]) == "mallory"));
    assert_eq!(n(&r, "Sign-ins refused during a lockout"), 1);
    assert_eq!(n(&r, "Failed sign-ins"), 12 + 7);
    assert_eq!(
        figure(&r, "Audit trail verification"),
        &Value::text("intact")
    );
    // A period of ten days holds only part of it, counted the same way.
    let part = check_compliance(
        &store,
        Period {
            from: clock.now() - Duration::days(10),
            to: clock.now() - Duration::days(3),
        },
    )
    .await;
    assert!(n(&part, "Sign-ins") < n(&r, "Sign-ins") && n(&part, "Sign-ins") > 0);

    let events = event_ids(&store).await;
    let first = check_field_event(&store, &events[0]).await;
    assert_eq!(n(&first, "Checked in, no sample"), 10);
    assert_eq!(n(&first, "Participants checked in"), 70);
    assert!(first
        .warnings
        .iter()
        .any(|w| w.starts_with("10 participants")));
    check_field_event(&store, &events[1]).await;

    let r = check_discards(&store, around(clock.now(), 30)).await;
    assert_eq!(n(&r, "Discard requests made"), 304);
    assert!(n(&r, "Requests waiting more than 7 days") > 0);
    // A period of a week holds a third of them or so; the counts still agree with SQL.
    check_discards(
        &store,
        Period {
            from: clock.now() - Duration::days(7),
            to: clock.now(),
        },
    )
    .await;
}

// ------------------------------------------------------------------------- compliance

async fn lab_with_held_run(f: &Fixture, lab: &Lab) -> Uuid {
    let t = super::runs::planned_run(f, lab, "ELISA-9").await;
    f.run(
        &lab.tech,
        super::runs::fill(t.plate, lab.received, Some("A1")),
    )
    .await;
    // 1.25 + 4 SD: 1-3s rejects and holds the run.
    f.run(&lab.tech, super::runs::import(&t, lab.received, 0.8, 1.45))
        .await;
    t.run
}

/// The compliance report counts what happened in the period, each kind exactly, through
/// the store's own sign-in and commands; a period that excludes them counts none of it.
#[tokio::test]
async fn compliance_counts_each_event_of_the_period_exactly() {
    let f = fixture().await;
    let lab = f.lab().await;
    let run = lab_with_held_run(&f, &lab).await;
    f.clock.advance(Duration::hours(1));
    let start = f.clock.now();

    f.store.login("admin", PASSWORD).await.unwrap();
    f.store
        .login("admin", "not the password")
        .await
        .unwrap_err();
    // Five wrong passwords lock the technician out; a sixth try is refused unchecked.
    for _ in 0..aliquot_domain::account::MAX_FAILED_LOGINS {
        f.store
            .login(&lab.tech.username, "guess")
            .await
            .unwrap_err();
    }
    assert!(matches!(
        f.store.login(&lab.tech.username, PASSWORD).await,
        Err(StoreError::LockedOut)
    ));
    let newcomer = f.user("newcomer", Role::Viewer).await;
    f.run(
        &f.admin,
        Command::ChangeRole {
            user_id: newcomer.user_id,
            role: Role::Technician,
            reason: "trained".into(),
        },
    )
    .await;
    f.run(
        &f.admin,
        Command::DeactivateUser {
            user_id: lab.desk.user_id,
            reason: "left the study".into(),
        },
    )
    .await;
    f.run(
        &f.admin,
        Command::ChangeSettings {
            settings: vec![Setting::LabName("North Biobank".into())],
            reason: "the lab's new name".into(),
        },
    )
    .await;
    let request = Uuid::now_v7();
    f.run(
        &lab.tech,
        Command::RequestDiscard {
            request_id: request,
            sample_id: lab.checked_out,
            reason: "label smudged".into(),
        },
    )
    .await;
    f.run(
        &lab.manager,
        Command::DecideDiscard {
            request_id: lab.discard_request,
            approve: true,
            reason: "cracked indeed".into(),
        },
    )
    .await;
    f.run(
        &lab.manager,
        Command::DecideDiscard {
            request_id: request,
            approve: false,
            reason: "relabel it".into(),
        },
    )
    .await;
    f.run(
        &lab.manager,
        Command::DecideRun {
            run_id: run,
            decision: RunDecision::Release,
            reason: "control vial thawed twice; samples fine".into(),
        },
    )
    .await;
    f.clock.advance(Duration::minutes(5));
    let end = f.clock.now();
    // After the period: not counted.
    f.clock.advance(Duration::minutes(5));
    f.store.login("admin", PASSWORD).await.unwrap();
    f.run(
        &f.admin,
        Command::ChangeSettings {
            settings: vec![Setting::LabName("South Biobank".into())],
            reason: "later".into(),
        },
    )
    .await;

    let r = check_compliance(
        &f.store,
        Period {
            from: start,
            to: end,
        },
    )
    .await;
    let expected = [
        ("Sign-ins", 1),
        (
            "Failed sign-ins",
            1 + aliquot_domain::account::MAX_FAILED_LOGINS,
        ),
        ("Lockouts", 1),
        ("Sign-ins refused during a lockout", 1),
        ("Accounts created", 1),
        ("Role changes", 1),
        ("Accounts deactivated", 1),
        ("Settings changed", 1),
        ("Discard requests", 1),
        ("Discards approved", 1),
        ("Discards rejected", 1),
        ("Runs released despite QC (overridden)", 1),
        ("Runs sent to repeat after QC", 0),
        ("Password resets issued", 0),
    ];
    for (label, value) in expected {
        assert_eq!(n(&r, label), value, "{label}");
    }
    let lockouts = tab(&r, "Lockouts");
    assert_eq!(text(&lockouts.rows[0][1]), lab.tech.username);

    let settings = tab(&r, "Settings changes");
    assert_eq!(settings.rows.len(), 1);
    let s = &settings.rows[0];
    assert_eq!(text(&s[col(settings, "setting")]), "lab name");
    assert_eq!(text(&s[col(settings, "after")]), "North Biobank");
    assert_eq!(text(&s[col(settings, "reason")]), "the lab's new name");
    assert_eq!(text(&s[col(settings, "by")]), "admin");

    let accounts = tab(&r, "Account changes");
    let role = row(accounts, "change", "Change role");
    assert_eq!(text(&role[col(accounts, "account")]), newcomer.username);
    assert_eq!(text(&role[col(accounts, "before")]), "role: viewer");
    assert_eq!(text(&role[col(accounts, "after")]), "role: technician");
    assert_eq!(text(&role[col(accounts, "reason")]), "trained");
    let gone = row(accounts, "change", "Deactivate user");
    assert_eq!(text(&gone[col(accounts, "account")]), lab.desk.username);

    let discards = tab(&r, "Discard requests and decisions");
    let whats: Vec<&str> = discards
        .rows
        .iter()
        .map(|row| text(&row[col(discards, "what")]))
        .collect();
    assert_eq!(whats, ["Requested", "Approved", "Rejected"]);

    let overrides = tab(&r, "Runs released despite QC");
    assert_eq!(overrides.rows.len(), 1);
    let o = &overrides.rows[0];
    assert_eq!(text(&o[col(overrides, "run")]), "ELISA-9");
    assert_eq!(text(&o[col(overrides, "verdict")]), "rejected");
    assert!(text(&o[col(overrides, "rules")]).contains("1-3s"));
    assert_eq!(text(&o[col(overrides, "by")]), lab.manager.username);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.contains("released although QC")));
    assert_eq!(
        figure(&r, "Audit trail verification"),
        &Value::text("intact")
    );

    // A month before: the lab existed in none of it.
    let before = check_compliance(
        &f.store,
        Period {
            from: start - Duration::days(30),
            to: start - Duration::days(29),
        },
    )
    .await;
    for (label, _) in expected {
        assert_eq!(n(&before, label), 0, "{label}");
    }
    assert_eq!(n(&before, "Audit entries in the period"), 0);
    assert!(tab(&before, "Audit entries by kind").rows.is_empty());
    // Ending where the period began: only the lab's making, none of the period's events.
    let setup = check_compliance(
        &f.store,
        Period {
            from: start - Duration::days(1),
            to: start,
        },
    )
    .await;
    assert_eq!(n(&setup, "Sign-ins"), 0);
    assert_eq!(n(&setup, "Lockouts"), 0);
    assert_eq!(n(&setup, "Settings changed"), 0);
    assert_eq!(n(&setup, "Discard requests"), 1);
    assert_eq!(n(&setup, "Runs released despite QC (overridden)"), 0);
}

/// A trail edited behind the store's back: the report says so as a figure and a warning.
#[tokio::test]
async fn compliance_reports_a_broken_audit_chain() {
    let f = fixture().await;
    for name in ["lab one", "lab two", "lab three"] {
        f.run(
            &f.admin,
            Command::ChangeSettings {
                settings: vec![Setting::LabName(name.into())],
                reason: "rename".into(),
            },
        )
        .await;
    }
    let period = around(f.clock.now(), 1);
    let r = make(&f.store, ReportRequest::Compliance { period }).await;
    assert_eq!(
        figure(&r, "Audit trail verification"),
        &Value::text("intact")
    );
    assert_eq!(n(&r, "Audit entries verified (whole trail)"), 4);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(f.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET new_value = '\"forged\"' WHERE seq = 3")
        .execute(f.store.pool())
        .await
        .unwrap();
    let r = make(&f.store, ReportRequest::Compliance { period }).await;
    assert_eq!(
        figure(&r, "Audit trail verification"),
        &Value::text("BROKEN")
    );
    assert_eq!(n(&r, "Audit entries verified (whole trail)"), 2);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("does not verify") && w.contains("entry 3")),
        "{:?}",
        r.warnings
    );
    // The forged value is what the report shows: it reads the trail as it is.
    let settings = tab(&r, "Settings changes");
    assert_eq!(text(&settings.rows[1][col(settings, "after")]), "forged");
}

// ------------------------------------------------------------------------- occupancy

/// Tubes registered and received, for placing.
async fn received_tubes(f: &Fixture, lab: &Lab, n: usize) -> Vec<Uuid> {
    let mut tubes = Vec::new();
    while tubes.len() < n {
        for t in f.kit(&lab.desk, lab.participant, lab.kit, 3).await {
            f.receive(&lab.tech, t).await;
            tubes.push(t);
        }
    }
    tubes.truncate(n);
    tubes
}

/// A freezer with known boxes: one full, one half full, one empty, two under half full,
/// a bag, and a voided box. Its numbers, free positions and merge list are exact.
#[tokio::test]
async fn occupancy_of_a_known_freezer_is_exact() {
    let f = fixture().await;
    let lab = f.lab().await;
    let m = &lab.manager;
    let freezer = Uuid::now_v7();
    f.run(
        m,
        Command::CreateFreezer {
            freezer_id: freezer,
            name: "Freezer Z".into(),
            location: "Room 9".into(),
            freezer_kind: aliquot_domain::storage::FreezerKind::UltraLow,
            temperature_c: -80,
        },
    )
    .await;
    let (rack, rack2) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, name) in [(rack, "Z1"), (rack2, "Z2")] {
        f.run(
            m,
            Command::CreateRack {
                rack_id: id,
                freezer_id: freezer,
                name: name.into(),
            },
        )
        .await;
    }
    let full = f.grid_box(m, rack, 2, 3).await;
    let half = f.grid_box(m, rack, 2, 3).await;
    let empty = f.grid_box(m, rack, 2, 3).await;
    let sparse1 = f.grid_box(m, rack2, 2, 3).await;
    let sparse2 = f.grid_box(m, rack2, 2, 3).await;
    let voided = f.grid_box(m, rack2, 2, 3).await;
    f.run(
        m,
        Command::VoidStorage {
            target: StorageTarget::Box(voided),
            reason: "made twice".into(),
        },
    )
    .await;
    let bag = Uuid::now_v7();
    f.run(
        m,
        Command::CreateBox {
            box_id: bag,
            rack_id: rack2,
            name: "Bag Z".into(),
            barcode: "BAGZ".into(),
            box_type: "bag".into(),
            layout: BoxLayout::Bag { capacity: Some(4) },
        },
    )
    .await;
    let tubes = received_tubes(&f, &lab, 13).await;
    let mut next = tubes.iter();
    let plan: [(Uuid, &[&str]); 4] = [
        (full, &["A1", "A2", "A3", "B1", "B2", "B3"]),
        (half, &["A1", "A2", "A3"]),
        (sparse1, &["A1"]),
        (sparse2, &["B2", "B3"]),
    ];
    for (b, positions) in plan {
        for p in positions {
            f.place(&lab.tech, b, *next.next().unwrap(), Some(p)).await;
        }
    }
    f.place(&lab.tech, bag, *next.next().unwrap(), None).await;
    let box_name = |id: Uuid| format!("Box {}", &id.simple().to_string()[26..]);

    for scope in [None, Some(freezer)] {
        let r = make(&f.store, ReportRequest::Occupancy { freezer_id: scope }).await;
        let t = tab(&r, "Occupancy by freezer");
        let z = row(t, "freezer", "Freezer Z");
        // Five 2 × 3 boxes and a bag of 4: 34 positions; 6 + 3 + 1 + 2 tubes and one bagged.
        assert_eq!(int(&z[col(t, "racks")]), 2);
        assert_eq!(int(&z[col(t, "boxes")]), 6);
        assert_eq!(int(&z[col(t, "positions")]), 34);
        assert_eq!(int(&z[col(t, "used")]), 13);
        assert_eq!(int(&z[col(t, "free")]), 21);
        assert_eq!(z[col(t, "percent_used")], Value::Decimal(38.2));

        let space = tab(&r, "Boxes with space");
        let names: Vec<&str> = space
            .rows
            .iter()
            .filter(|row| text(&row[0]) == "Freezer Z")
            .map(|row| text(&row[2]))
            .collect();
        let mut expected = vec![box_name(half), box_name(empty)];
        expected.sort();
        let mut in_z2 = vec![box_name(sparse1), box_name(sparse2), "Bag Z".to_owned()];
        in_z2.sort();
        expected.extend(in_z2);
        assert_eq!(names, expected);

        let free = tab(&r, "Empty positions");
        let free_of = |id: Uuid| {
            let row = row(free, "box", &box_name(id));
            (int(&row[3]), text(&row[4]).to_owned())
        };
        assert_eq!(free_of(half), (3, "B1 B2 B3".into()));
        assert_eq!(free_of(empty), (6, "A1 A2 A3 B1 B2 B3".into()));
        assert_eq!(free_of(sparse1), (5, "A2 A3 B1 B2 B3".into()));
        assert_eq!(free_of(sparse2), (4, "A1 A2 A3 B1".into()));
        assert!(free
            .rows
            .iter()
            .all(|row| text(&row[2]) != box_name(full) && text(&row[2]) != box_name(voided)));

        // Only the two boxes under half full merge: 3 tubes into one box, one freed. The
        // lab's own freezer has one such box (2 of 6), alone of its kind there: not listed.
        let groups = tab(
            &r,
            "Defragmentation: boxes under half full that fit into fewer",
        );
        assert_eq!(groups.rows.len(), 1);
        let g = &groups.rows[0];
        assert_eq!(text(&g[0]), "Freezer Z");
        assert_eq!(text(&g[col(groups, "box_type")]), "cryobox");
        assert_eq!(
            [3, 4, 5, 6].map(|c| int(&g[c])),
            [2, 3, 1, 1],
            "boxes, tubes, needed, freed"
        );
        let merge = tab(&r, "Defragmentation: the boxes to merge");
        let mut listed_boxes: Vec<String> = merge
            .rows
            .iter()
            .map(|row| text(&row[col(merge, "box")]).to_owned())
            .collect();
        listed_boxes.sort();
        let mut sparse = vec![box_name(sparse1), box_name(sparse2)];
        sparse.sort();
        assert_eq!(listed_boxes, sparse);
        assert_eq!(n(&r, "Boxes that merging would empty"), 1);
    }

    // One freezer: its racks and boxes, the chart per rack.
    let r = make(
        &f.store,
        ReportRequest::Occupancy {
            freezer_id: Some(freezer),
        },
    )
    .await;
    assert_eq!(
        (n(&r, "Positions"), n(&r, "Used"), n(&r, "Free")),
        (34, 13, 21)
    );
    assert_eq!(figure(&r, "% used"), &Value::Decimal(38.2));
    assert_eq!((n(&r, "Empty boxes"), n(&r, "Full boxes")), (1, 1));
    let racks = tab(&r, "Occupancy by rack");
    let z1 = row(racks, "rack", "Z1");
    assert_eq!(
        [2, 3, 4, 5].map(|c| int(&z1[c])),
        [3, 18, 9, 9],
        "boxes, positions, used, free"
    );
    let z2 = row(racks, "rack", "Z2");
    assert_eq!([2, 3, 4, 5].map(|c| int(&z2[c])), [3, 16, 4, 12]);
    chart_matches(
        &r,
        "Used and free positions by rack",
        "rack",
        &[("Used", "used"), ("Free", "free")],
    );
    assert_eq!(tab(&r, "Boxes").rows.len(), 6);
    assert_eq!(r.parameters[0].value, "Freezer Z");

    check_occupancy(&f.store).await;
}

// ------------------------------------------------------------------------- refusals

#[tokio::test]
async fn a_report_of_nothing_is_refused() {
    let f = fixture().await;
    let t = f.clock.now();
    for request in [
        ReportRequest::Compliance {
            period: Period { from: t, to: t },
        },
        ReportRequest::Discards {
            period: Period {
                from: t,
                to: t - Duration::days(1),
            },
        },
    ] {
        let refused = f.store.report(&request, "admin").await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Domain(DomainError::Invalid {
                    field: "period",
                    ..
                }))
            ),
            "{refused:?}"
        );
    }
    let missing = f
        .store
        .report(
            &ReportRequest::FieldEvent {
                event_id: Uuid::now_v7(),
            },
            "admin",
        )
        .await;
    assert!(
        matches!(
            missing,
            Err(StoreError::Domain(DomainError::NotFound("field event")))
        ),
        "{missing:?}"
    );
    let missing = f
        .store
        .report(
            &ReportRequest::Occupancy {
                freezer_id: Some(Uuid::now_v7()),
            },
            "admin",
        )
        .await;
    assert!(
        matches!(
            missing,
            Err(StoreError::Domain(DomainError::NotFound("freezer")))
        ),
        "{missing:?}"
    );
    // An empty lab's reports are empty, not errors.
    let r = make(&f.store, ReportRequest::Inventory).await;
    assert_eq!(n(&r, "Samples"), 0);
    let r = make(&f.store, ReportRequest::Occupancy { freezer_id: None }).await;
    assert_eq!(n(&r, "Positions"), 0);
    assert_eq!(figure(&r, "% used"), &Value::Empty);
}

/// Lockouts are numbered the way the throttle counts: failures before the period count
/// towards one in it, a successful sign-in starts the count again, and a lockout that ran
/// out lets the count start again at 1. Each as the store itself answered the sign-ins.
#[tokio::test]
async fn lockouts_are_counted_as_the_throttle_counts() {
    use aliquot_domain::account::{LOCKOUT, MAX_FAILED_LOGINS};
    let f = fixture().await;
    let early = f.user("early", Role::Technician).await;
    let reset = f.user("reset", Role::Technician).await;
    let twice = f.user("twice", Role::Technician).await;
    let fail = |name: String| {
        let store = f.store.clone();
        async move { store.login(&name, "not the password").await.unwrap_err() }
    };
    // Three failures before the period, two in it: the fifth locks.
    for _ in 0..3 {
        assert!(matches!(
            fail(early.username.clone()).await,
            StoreError::InvalidCredentials
        ));
    }
    f.clock.advance(Duration::hours(1));
    let start = f.clock.now();
    assert!(matches!(
        fail(early.username.clone()).await,
        StoreError::InvalidCredentials
    ));
    assert!(matches!(
        fail(early.username.clone()).await,
        StoreError::LockedOut
    ));
    // Four, a sign-in, four: never locked.
    for round in 0..2 {
        for _ in 0..MAX_FAILED_LOGINS - 1 {
            assert!(matches!(
                fail(reset.username.clone()).await,
                StoreError::InvalidCredentials
            ));
        }
        if round == 0 {
            f.store.login(&reset.username, PASSWORD).await.unwrap();
        }
    }
    // Five (locked), the lockout runs out, five more: locked again.
    for _ in 0..2 {
        for k in 1..=MAX_FAILED_LOGINS {
            let e = fail(twice.username.clone()).await;
            assert_eq!(
                matches!(e, StoreError::LockedOut),
                k == MAX_FAILED_LOGINS,
                "{e:?}"
            );
        }
        f.clock.advance(LOCKOUT + Duration::minutes(1));
    }
    let end = f.clock.now();

    let r = check_compliance(
        &f.store,
        Period {
            from: start,
            to: end,
        },
    )
    .await;
    assert_eq!(n(&r, "Lockouts"), 3);
    let names: Vec<&str> = tab(&r, "Lockouts")
        .rows
        .iter()
        .map(|row| text(&row[1]))
        .collect();
    assert_eq!(
        names,
        [
            early.username.as_str(),
            twice.username.as_str(),
            twice.username.as_str()
        ]
    );
    assert_eq!(
        n(&r, "Failed sign-ins"),
        2 + 2 * (MAX_FAILED_LOGINS - 1) + 2 * MAX_FAILED_LOGINS
    );
    // The three failures before the period are not in it, and lock nothing there.
    let before = check_compliance(
        &f.store,
        Period {
            from: start - Duration::hours(2),
            to: start,
        },
    )
    .await;
    assert_eq!(
        (n(&before, "Failed sign-ins"), n(&before, "Lockouts")),
        (3, 0)
    );
}
