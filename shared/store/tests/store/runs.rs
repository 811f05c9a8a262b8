//! Runs, plates and results (issue 16, items 2, 4 and 6): a plate map filled by scanning in
//! the lab's order or at a clicked well, controls from a template; a Gen5 file previewed
//! against the map and imported in one command; the same file twice a no-op; a corrected
//! file superseding with a reason; QC holding a run whose control is out of range until a
//! lab manager decides; a tube's runs and results.

use super::lab::Lab;
use super::{control_lot, fixture, plate_reader, Fixture};
use aliquot_domain::instruments::Figure;
use aliquot_domain::paging::PageRequest;
use aliquot_domain::qc::{Rule, Verdict};
use aliquot_domain::runs::{
    FillOrder, ImportedResult, LayoutRole, LayoutWell, NewPlate, PlateFormat, Reading, RunDecision,
    RunState,
};
use aliquot_domain::{Actor, Command, DomainError};
use aliquot_store::result_import::{import_command, ImportOutcome, PreviewMatch};
use aliquot_store::runs::{ResultStanding, WellRole};
use aliquot_store::StoreError;
use uuid::Uuid;

fn page() -> PageRequest {
    PageRequest {
        page: 1,
        per_page: 50,
    }
}

/// A run's ids, for the commands' examples.
pub struct TestRun {
    pub run: Uuid,
    pub plate: Uuid,
    pub instrument: Uuid,
    pub lot: Uuid,
}

/// A Gen5 reader with a control lot (target 1.25 ± 0.05 at "450 nm") and a planned run on
/// it: one 96-well plate with that control in H12 and a blank in H11.
pub async fn planned_run(f: &Fixture, lab: &Lab, name: &str) -> TestRun {
    let instrument = plate_reader(f, &lab.manager, &format!("{name} reader")).await;
    let lot = Uuid::now_v7();
    f.run(
        &lab.manager,
        Command::AddControlLot {
            control_lot_id: lot,
            instrument_id: instrument,
            lot: control_lot(0.05),
        },
    )
    .await;
    let (run, plate) = (Uuid::now_v7(), Uuid::now_v7());
    f.run(
        &lab.tech,
        Command::CreateRun {
            run_id: run,
            instrument_id: instrument,
            name: name.into(),
            plates: vec![NewPlate {
                plate_id: plate,
                name: format!("{name}-P1"),
                format: PlateFormat::Wells96,
                template_id: None,
                layout: layout(lot),
            }],
        },
    )
    .await;
    TestRun {
        run,
        plate,
        instrument,
        lot,
    }
}

pub fn layout(lot: Uuid) -> Vec<LayoutWell> {
    vec![
        LayoutWell {
            well: "H12".into(),
            content: LayoutRole::Control {
                control_lot_id: lot,
            },
        },
        LayoutWell {
            well: "H11".into(),
            content: LayoutRole::Blank,
        },
    ]
}

pub fn fill(plate: Uuid, sample: Uuid, well: Option<&str>) -> Command {
    Command::FillWell {
        plate_id: plate,
        sample_id: sample,
        well: well.map(String::from),
        order: FillOrder::Columns,
    }
}

/// An import of one sample value in A1 and the control in H12.
pub fn import(t: &TestRun, sample: Uuid, sample_value: f64, control_value: f64) -> Command {
    Command::ImportResults {
        import_id: Uuid::now_v7(),
        run_id: t.run,
        file_name: "plate1.txt".into(),
        sha256: format!("{:064x}", Uuid::now_v7().as_u128()),
        format: aliquot_domain::instruments::ResultFormat::Gen5,
        results: vec![
            ImportedResult {
                plate_id: t.plate,
                well: "A1".into(),
                sample_id: Some(sample),
                control_lot_id: None,
                read: "450 nm".into(),
                value: Reading::Number {
                    value: sample_value,
                },
                unit: Some("OD".into()),
            },
            ImportedResult {
                plate_id: t.plate,
                well: "H12".into(),
                sample_id: None,
                control_lot_id: Some(t.lot),
                read: "450 nm".into(),
                value: Reading::Number {
                    value: control_value,
                },
                unit: Some("OD".into()),
            },
        ],
        supersedes: None,
        reason: None,
    }
}

async fn refused(f: &Fixture, actor: &Actor, command: Command) -> DomainError {
    match f.store.execute(actor, command).await {
        Err(StoreError::Domain(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn scanned_tubes_fill_the_plate_in_the_labs_order_or_at_the_clicked_well() {
    let f = fixture().await;
    let lab = f.lab().await;
    let t = planned_run(&f, &lab, "ELISA-1").await;
    let more = f.kit(&lab.manager, lab.participant, lab.kit, 3).await;
    for s in &more {
        f.receive(&lab.manager, *s).await;
    }
    // Column order: A1, then B1; a clicked well moves the cursor; the next follows it.
    f.run(&lab.tech, fill(t.plate, lab.received, None)).await;
    f.run(&lab.tech, fill(t.plate, lab.stored, Some("D5")))
        .await;
    f.run(&lab.tech, fill(t.plate, more[0], None)).await;
    let map = f.store.plate_map(t.plate).await.unwrap();
    let at = |id: Uuid| {
        map.wells
            .iter()
            .find(|w| w.sample_id == Some(id))
            .map(|w| w.well.clone())
    };
    assert_eq!(at(lab.received).as_deref(), Some("A1"));
    assert_eq!(at(lab.stored).as_deref(), Some("D5"));
    assert_eq!(at(more[0]).as_deref(), Some("E5"));
    // The template's control and blank are on the map.
    let h12 = map.wells.iter().find(|w| w.well == "H12").unwrap();
    assert_eq!(h12.role, WellRole::Control);
    assert_eq!(h12.control_lot_id, Some(t.lot));
    assert!(map
        .wells
        .iter()
        .any(|w| w.well == "H11" && w.role == WellRole::Blank));

    // The same tube twice, a taken well, a well off the plate: each refused, with words.
    let twice = refused(&f, &lab.tech, fill(t.plate, lab.received, None)).await;
    assert!(twice.to_string().contains("already in A1"), "{twice}");
    let taken = refused(&f, &lab.tech, fill(t.plate, more[1], Some("H12"))).await;
    assert!(
        taken.to_string().contains("H12 of ELISA-1-P1 is taken"),
        "{taken}"
    );
    let off = refused(&f, &lab.tech, fill(t.plate, more[1], Some("I1"))).await;
    assert!(
        off.to_string().contains("not a well of a 96-well plate"),
        "{off}"
    );

    // The outbox records the well chosen, so the hub puts the tube in the same well.
    let outboxed: String = sqlx::query_scalar(
        "SELECT payload FROM outbox WHERE kind = 'fill_well' ORDER BY seq LIMIT 1",
    )
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert!(outboxed.contains("\"well\":\"A1\""), "{outboxed}");

    // A mis-scan taken off again, with a reason; the well is free.
    f.run(
        &lab.tech,
        Command::ClearWell {
            plate_id: t.plate,
            well: "E5".into(),
            reason: "wrong tube".into(),
        },
    )
    .await;
    f.run(&lab.tech, fill(t.plate, more[1], Some("E5"))).await;

    // The plate's label carries its name as text and as the code a scanner reads.
    match f
        .store
        .label_rows(&aliquot_domain::printing::LabelGroup::Plates {
            plate_ids: vec![t.plate],
        })
        .await
        .unwrap()
    {
        aliquot_store::labels::LabelRows::Boxes { subject, rows } => {
            assert_eq!(subject, "plate ELISA-1-P1");
            assert_eq!(rows[0].label.box_barcode, "ELISA-1-P1");
            assert_eq!(rows[0].label.location, "Run ELISA-1 · 96 wells");
        }
        other => panic!("{other:?}"),
    }

    // Scanning the plate's label finds the plate, and so its run.
    match f.store.lookup_scan(" ELISA-1-P1 ").await {
        Ok(Some(aliquot_store::lookup::Scanned::Plate(p))) => assert_eq!(p.run_id, t.run),
        other => panic!("{other:?}"),
    }

    // The tube's page lists the run.
    let runs = f.store.sample_runs(lab.stored, page()).await.unwrap();
    assert_eq!(runs.total, 1);
    assert_eq!(runs.items[0].run_name, "ELISA-1");
    assert_eq!(runs.items[0].well, "D5");
}

#[tokio::test]
async fn a_control_out_of_range_holds_the_run_until_a_lab_manager_decides() {
    let f = fixture().await;
    let lab = f.lab().await;
    let t = planned_run(&f, &lab, "ELISA-2").await;
    f.run(&lab.tech, fill(t.plate, lab.received, Some("A1")))
        .await;
    // 1.25 + 4 SD: 1-3s rejects.
    f.run(&lab.tech, import(&t, lab.received, 0.8, 1.45)).await;
    let run = f.store.run(t.run).await.unwrap();
    assert_eq!(run.state, RunState::Held);
    assert_eq!(run.qc_verdict, Some(Verdict::Rejected));
    assert!(
        run.qc_rules.contains(&Rule::OneThreeS),
        "{:?}",
        run.qc_rules
    );
    let held = f
        .store
        .sample_results(lab.received, true, page())
        .await
        .unwrap();
    assert_eq!(held.items[0].standing, ResultStanding::Held);

    // The plate map is kept as it was read.
    let late = refused(&f, &lab.tech, fill(t.plate, lab.stored, None)).await;
    assert!(late.to_string().contains("has results"), "{late}");
    // Only a lab manager decides, with a reason.
    let by_tech = f
        .store
        .execute(
            &lab.tech,
            Command::DecideRun {
                run_id: t.run,
                decision: RunDecision::Release,
                reason: "fine".into(),
            },
        )
        .await;
    assert!(
        matches!(by_tech, Err(StoreError::Forbidden(_))),
        "{by_tech:?}"
    );
    f.run(
        &lab.manager,
        Command::DecideRun {
            run_id: t.run,
            decision: RunDecision::Repeat,
            reason: "control lot degraded".into(),
        },
    )
    .await;
    let withdrawn = f
        .store
        .sample_results(lab.received, true, page())
        .await
        .unwrap();
    assert_eq!(withdrawn.items[0].standing, ResultStanding::Withdrawn);
    assert_eq!(f.store.run(t.run).await.unwrap().state, RunState::Repeat);
    // The decision is in the sample's own story, found by its code.
    let code = f.store.sample(lab.received).await.unwrap().code;
    let rows: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'sample' AND entity_id = ?1
           AND action = 'decide_run'",
    )
    .bind(code)
    .fetch_one(f.store.pool())
    .await
    .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn a_control_in_range_reports_and_a_corrected_file_supersedes_with_a_reason() {
    let f = fixture().await;
    let lab = f.lab().await;
    let t = planned_run(&f, &lab, "ELISA-3").await;
    f.run(&lab.tech, fill(t.plate, lab.received, Some("A1")))
        .await;
    f.run(&lab.tech, import(&t, lab.received, 0.8, 1.26)).await;
    let run = f.store.run(t.run).await.unwrap();
    assert_eq!(
        (run.state, run.qc_verdict),
        (RunState::Resulted, Some(Verdict::Accepted))
    );
    let first = run.current_import_id.unwrap();

    // Without saying what it supersedes, refused; without a reason, refused.
    let unsaid = refused(&f, &lab.tech, import(&t, lab.received, 0.9, 1.25)).await;
    assert!(
        unsaid.to_string().contains("already has results"),
        "{unsaid}"
    );
    let mut corrected = import(&t, lab.received, 0.9, 1.25);
    if let Command::ImportResults { supersedes, .. } = &mut corrected {
        *supersedes = Some(first);
    }
    let no_reason = refused(&f, &lab.tech, corrected.clone()).await;
    assert!(no_reason.to_string().contains("say why"), "{no_reason}");
    if let Command::ImportResults { reason, .. } = &mut corrected {
        *reason = Some("reader re-exported with the right wavelength".into());
    }
    f.run(&lab.tech, corrected).await;

    // The current value is the corrected one; the earlier stays, marked superseded.
    let all = f
        .store
        .sample_results(lab.received, false, page())
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    let standings: Vec<(f64, ResultStanding)> = all
        .items
        .iter()
        .map(|r| (r.value.number().unwrap(), r.standing))
        .collect();
    assert!(
        standings.contains(&(0.9, ResultStanding::Reported)),
        "{standings:?}"
    );
    assert!(
        standings.contains(&(0.8, ResultStanding::Superseded)),
        "{standings:?}"
    );
    let current = f
        .store
        .sample_results(lab.received, true, page())
        .await
        .unwrap();
    assert_eq!(current.total, 1);
    let imports = f.store.result_imports(t.run, page()).await.unwrap();
    assert_eq!(imports.total, 2);
    assert!(imports.items.iter().any(|i| i.superseded_by.is_some()));

    // Each import is one point on the control's chart; the superseded one is not.
    let points = f.store.control_points(t.lot, page()).await.unwrap();
    assert_eq!(points.total, 1);
    assert_eq!(points.items[0].z_score, Figure(0.0));
}

#[tokio::test]
async fn controls_across_runs_reject_the_run_that_completes_a_streak() {
    let f = fixture().await;
    let lab = f.lab().await;
    let t = planned_run(&f, &lab, "R-0").await;
    // Three runs at +1.2 SD on the same lot, accepted; the fourth completes 4-1s.
    let mut last = None;
    for i in 0..4 {
        let (run, plate) = (Uuid::now_v7(), Uuid::now_v7());
        f.run(
            &lab.tech,
            Command::CreateRun {
                run_id: run,
                instrument_id: t.instrument,
                name: format!("R-{}", i + 1),
                plates: vec![NewPlate {
                    plate_id: plate,
                    name: format!("R-{}-P1", i + 1),
                    format: PlateFormat::Wells96,
                    template_id: None,
                    layout: layout(t.lot),
                }],
            },
        )
        .await;
        f.run(&lab.tech, fill(plate, lab.received, Some("A1")))
            .await;
        f.clock.advance(chrono::Duration::seconds(60));
        let this = TestRun {
            run,
            plate,
            instrument: t.instrument,
            lot: t.lot,
        };
        f.run(
            &lab.tech,
            import(&this, lab.received, 0.5, 1.25 + 1.2 * 0.05),
        )
        .await;
        last = Some(f.store.run(run).await.unwrap());
        if i < 3 {
            assert_eq!(last.as_ref().unwrap().state, RunState::Resulted, "run {i}");
        }
    }
    let last = last.unwrap();
    assert_eq!(last.state, RunState::Held);
    assert_eq!(last.qc_rules, vec![Rule::FourOneS]);
}

#[tokio::test]
async fn a_gen5_file_is_previewed_against_the_map_imported_once_and_shown_on_the_tube() {
    let f = fixture().await;
    let lab = f.lab().await;
    let t = planned_run(&f, &lab, "GEN5-1").await;
    f.run(&lab.tech, fill(t.plate, lab.received, Some("A1")))
        .await;
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/instruments/agilent_gen5/absorbance/endpoint_stdcurve_singleplate.txt"),
    )
    .unwrap();
    let preview = f
        .store
        .preview_import(t.run, "endpoint.txt", &bytes)
        .await
        .unwrap();
    assert!(preview.already_imported.is_none());
    assert!(preview.counts.samples >= 1, "{:?}", preview.counts);
    assert!(preview.counts.no_sample_there > 0);
    let a1: Vec<_> = preview
        .rows
        .iter()
        .filter(|r| r.well.as_deref() == Some("A1"))
        .collect();
    assert!(a1.iter().all(|r| r.matched == PreviewMatch::Sample));
    assert!(preview
        .rows
        .iter()
        .filter(|r| r.well.as_deref() == Some("H12"))
        .all(|r| r.matched == PreviewMatch::Control));

    let (_, command) = import_command(&preview, None).unwrap();
    f.run(&lab.tech, command).await;
    let again = f
        .store
        .preview_import(t.run, "endpoint copy.txt", &bytes)
        .await
        .unwrap();
    assert!(again.already_imported.is_some());
    let nothing = import_command(&again, None);
    assert!(
        matches!(nothing, Err(ImportOutcome::AlreadyImported { .. })),
        "{nothing:?}"
    );
    assert_eq!(
        f.store.result_imports(t.run, page()).await.unwrap().total,
        1
    );
    let results = f
        .store
        .sample_results(lab.received, true, page())
        .await
        .unwrap();
    assert_eq!(results.total as usize, a1.len());
    assert!(results.items.iter().all(|r| r.well == "A1"));

    // A file the reader does not write is refused with the line and the reason.
    let garbage = f
        .store
        .preview_import(t.run, "notes.txt", b"hello\nworld\n")
        .await;
    assert!(
        matches!(
            &garbage,
            Err(StoreError::Domain(DomainError::Invalid {
                field: "file",
                ..
            }))
        ),
        "{garbage:?}"
    );
}
