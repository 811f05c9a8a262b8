//! The chain of custody (issue 17, item 1): a tube walked through every step — collection,
//! transport, receipt, placement, a move, a check-out and check-in, an aliquot, a plate and
//! a result, a discard request and its approval — is found in the report, each step in
//! order with its actor and time, every audit row naming the tube by its code; the PDF's
//! text shows them.

use super::lab::Lab;
use super::runs::{fill, import, planned_run};
use super::{fixture, Fixture};
use aliquot_domain::command::NewAliquot;
use aliquot_domain::reports::ReportRequest;
use aliquot_domain::sample::{SampleStatus, SampleType};
use aliquot_domain::{Actor, Command, DomainError};
use aliquot_reports::Value;
use aliquot_store::StoreError;
use chrono::Duration;
use uuid::Uuid;

struct Walked {
    code: String,
    aliquot_code: String,
    /// (step, actor) in the order they were done.
    expected: Vec<(&'static str, String)>,
}

async fn code_of(f: &Fixture, id: Uuid) -> String {
    f.store.sample(id).await.unwrap().code
}

async fn step(f: &Fixture, actor: &Actor, command: Command) {
    f.clock.advance(Duration::minutes(7));
    f.run(actor, command).await;
}

/// One tube through its whole life, seven minutes between steps.
async fn walk(f: &Fixture, lab: &Lab) -> Walked {
    let tube = f.kit(&lab.desk, lab.participant, lab.kit, 3).await[0];
    let code = code_of(f, tube).await;
    let (tech, manager, desk) = (&lab.tech, &lab.manager, &lab.desk);
    let first_box = f.grid_box(&lab.manager, lab.rack, 3, 3).await;
    let second_box = f.grid_box(&lab.manager, lab.other_rack, 3, 3).await;
    step(
        f,
        tech,
        Command::TransitionSample {
            sample_id: tube,
            expected: SampleStatus::Collected,
            to: SampleStatus::InTransit,
            reason: None,
        },
    )
    .await;
    step(
        f,
        tech,
        Command::TransitionSample {
            sample_id: tube,
            expected: SampleStatus::InTransit,
            to: SampleStatus::Received,
            reason: None,
        },
    )
    .await;
    f.clock.advance(Duration::minutes(7));
    f.place(tech, first_box, tube, Some("B2")).await;
    f.clock.advance(Duration::minutes(7));
    f.place(tech, second_box, tube, Some("C3")).await;
    step(
        f,
        tech,
        Command::CheckOutSamples {
            sample_ids: vec![tube],
            reason: "thaw for aliquoting".into(),
        },
    )
    .await;
    step(
        f,
        tech,
        Command::CheckInSamples {
            sample_ids: vec![tube],
        },
    )
    .await;
    let aliquot = Uuid::now_v7();
    step(
        f,
        tech,
        Command::CreateAliquots {
            parent_id: tube,
            children: vec![NewAliquot {
                sample_id: aliquot,
                code: None,
                sample_type: SampleType::new(SampleType::PLASMA),
                volume_ul: 100,
            }],
        },
    )
    .await;
    let run = planned_run(f, lab, "CUSTODY-1").await;
    step(f, tech, fill(run.plate, tube, Some("A1"))).await;
    step(f, tech, import(&run, tube, 0.75, 1.25)).await;
    let request_id = Uuid::now_v7();
    step(
        f,
        tech,
        Command::RequestDiscard {
            request_id,
            sample_id: tube,
            reason: "tube cracked after the run".into(),
        },
    )
    .await;
    step(
        f,
        manager,
        Command::DecideDiscard {
            request_id,
            approve: true,
            reason: "confirmed at the bench".into(),
        },
    )
    .await;
    let aliquot_code = code_of(f, aliquot).await;
    Walked {
        code,
        aliquot_code,
        expected: vec![
            ("Collected", "Nurse Joy".into()),
            ("Registered", desk.username.clone()),
            ("Sent (in transit)", tech.username.clone()),
            ("Received", tech.username.clone()),
            ("Placed", tech.username.clone()),
            ("Moved", tech.username.clone()),
            ("Checked out", tech.username.clone()),
            ("Checked in", tech.username.clone()),
            ("Aliquots made", tech.username.clone()),
            ("Put on a plate", tech.username.clone()),
            ("Result", tech.username.clone()),
            ("Discard requested", tech.username.clone()),
            ("Discard approved", manager.username.clone()),
        ],
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        Value::Integer(n) => n.to_string(),
        Value::Time(t) => t.to_rfc3339(),
        Value::Decimal(d) => d.to_string(),
        Value::Empty => String::new(),
    }
}

#[tokio::test]
async fn every_step_of_a_tubes_life_is_in_its_chain_of_custody_in_order() {
    let f = fixture().await;
    let lab = f.lab().await;
    let walked = walk(&f, &lab).await;
    let report = f
        .store
        .report(
            &ReportRequest::ChainOfCustody {
                sample_code: walked.code.clone(),
            },
            "auditor",
        )
        .await
        .unwrap();
    let table = &report.tables[0];
    let col = |key: &str| table.columns.iter().position(|c| c.key == key).unwrap();
    let (at, sample, step, actor, place, seq) = (
        col("at"),
        col("sample"),
        col("step"),
        col("actor"),
        col("location"),
        col("audit_seq"),
    );
    let own: Vec<&Vec<Value>> = table
        .rows
        .iter()
        .filter(|r| text(&r[sample]) == walked.code)
        .collect();
    let got: Vec<(String, String)> = own
        .iter()
        .map(|r| (text(&r[step]), text(&r[actor])))
        .collect();
    let want: Vec<(String, String)> = walked
        .expected
        .iter()
        .map(|(s, a)| ((*s).to_owned(), a.clone()))
        .collect();
    assert_eq!(got, want, "the tube's steps, in order, with who did each");

    // In time order, each after the one before (seven minutes apart in the walk).
    let times: Vec<_> = own
        .iter()
        .map(|r| match &r[at] {
            Value::Time(t) => *t,
            other => panic!("a time, not {other:?}"),
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

    // Where it went: the move names both boxes; each trail row has its own audit record,
    // and that record names this tube by its code.
    let moved = own.iter().find(|r| text(&r[step]) == "Moved").unwrap();
    let moved_place = text(&moved[place]);
    assert!(
        moved_place.contains(" B2 → ") && moved_place.ends_with(" C3"),
        "{moved_place}"
    );
    for row in own.iter().filter(|r| text(&r[step]) != "Collected") {
        let Value::Integer(n) = row[seq] else {
            panic!("an audit record number, not {:?}", row[seq]);
        };
        let (entity_type, entity_id): (String, String) =
            sqlx::query_as("SELECT entity_type, entity_id FROM audit_log WHERE seq = ?1")
                .bind(n)
                .fetch_one(f.store.pool())
                .await
                .unwrap();
        assert_eq!(
            (entity_type.as_str(), entity_id),
            ("sample", walked.code.clone())
        );
    }
    let result = own.iter().find(|r| text(&r[step]) == "Result").unwrap();
    assert!(
        text(&result[col("details")]).contains("450 nm 0.75"),
        "{result:?}"
    );
    let checked_in = own.iter().find(|r| text(&r[step]) == "Checked in").unwrap();
    assert!(
        text(&checked_in[col("details")]).contains("7 min"),
        "{checked_in:?}"
    );

    // The aliquot's own story is in its parent's report: its collection and its making.
    let aliquot_steps: Vec<String> = table
        .rows
        .iter()
        .filter(|r| text(&r[sample]) == walked.aliquot_code)
        .map(|r| text(&r[step]))
        .collect();
    assert_eq!(aliquot_steps, ["Collected", "Aliquoted from parent"]);

    // The headline: disposed, out of storage, one check-out of seven minutes.
    let figure = |label: &str| {
        report
            .figures
            .iter()
            .find(|x| x.label == label)
            .map(|x| text(&x.value))
            .unwrap()
    };
    assert_eq!(figure("Status now"), "disposed");
    assert_eq!(figure("Times checked out"), "1");
    assert_eq!(figure("Time out of the freezer (minutes)"), "7");
    assert_eq!(figure("Results"), "1");
    assert_eq!(report.made_by, "auditor");

    // The PDF says the same: every step and its actor, in the text a reader extracts.
    let pdf = aliquot_reports::pdf::report_pdf(&report).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("custody.pdf");
    std::fs::write(&path, pdf).unwrap();
    if let Ok(keep) = std::env::var("CUSTODY_PDF_COPY") {
        std::fs::copy(&path, keep).unwrap();
    }
    // In drawing order, so a cell's wrapped lines follow each other; spaces made single.
    let out = std::process::Command::new("pdftotext")
        .arg("-raw")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed");
    let extracted = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(extracted.contains("Chain of custody"), "{extracted}");
    assert!(extracted.contains(&walked.code), "{extracted}");
    let mut from = 0;
    for (s, _) in &walked.expected {
        let found = extracted[from..]
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} after byte {from} in:\n{extracted}"));
        from += found + s.len();
    }
    assert!(extracted.contains(&lab.manager.username), "{extracted}");
}

#[tokio::test]
async fn a_code_the_lab_does_not_have_is_not_found() {
    let f = fixture().await;
    let refused = f
        .store
        .report(
            &ReportRequest::ChainOfCustody {
                sample_code: "NO-SUCH-TUBE".into(),
            },
            "auditor",
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Domain(DomainError::NotFound("sample")))
        ),
        "{refused:?}"
    );
}

/// Every audit row about a tube names it the same way, by its code, whichever area wrote
/// it (storage, runs, result sets): a sample's story is found by the code that is scanned.
#[tokio::test]
async fn every_audit_row_about_a_tube_names_it_by_its_code() {
    let f = fixture().await;
    let lab = f.lab().await;
    let walked = walk(&f, &lab).await;
    let (rows, by_code): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(s.id) FROM audit_log a
         LEFT JOIN samples s ON s.code = a.entity_id WHERE a.entity_type = 'sample'",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert!(rows > 10, "{rows}");
    assert_eq!(
        rows, by_code,
        "audit rows of a sample not named by a tube's code"
    );
    let listed: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM audit_log WHERE entity_id LIKE '%,%' OR entity_id GLOB '[0-9]*'
           AND entity_id NOT GLOB '*[^0-9]*'",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert_eq!(listed.0, 0, "an audit row names a list or a count");
    assert!(!walked.code.is_empty());
}
