//! The lab's instruments (issue 16, item 1): registered, corrected with a reason, put out of
//! service or due for calibration, listed one page at a time with their filters in SQL; a
//! control material's lot with its target mean and SD, once per read.

use super::{control_lot, fixture, reader_description};
use aliquot_domain::instruments::{InstrumentKind, InstrumentStatus, ResultFormat};
use aliquot_domain::paging::PageRequest;
use aliquot_domain::{Command, DomainError};
use aliquot_store::instruments::InstrumentFilter;
use aliquot_store::StoreError;
use uuid::Uuid;

fn page() -> PageRequest {
    PageRequest {
        page: 1,
        per_page: 50,
    }
}

#[tokio::test]
async fn instruments_are_registered_corrected_and_listed_by_their_filters() {
    let f = fixture().await;
    let lab = f.lab().await;
    let reader = Uuid::now_v7();
    f.run(
        &lab.manager,
        Command::RegisterInstrument {
            instrument_id: reader,
            instrument: reader_description("Synergy 1"),
        },
    )
    .await;
    let qpcr = Uuid::now_v7();
    f.run(
        &lab.manager,
        Command::RegisterInstrument {
            instrument_id: qpcr,
            instrument: aliquot_domain::instruments::InstrumentDescription {
                kind: InstrumentKind::Qpcr,
                model: "QuantStudio 7".into(),
                result_format: ResultFormat::QuantStudio,
                ..reader_description("qPCR 1")
            },
        },
    )
    .await;
    let twice = f
        .store
        .execute(
            &lab.manager,
            Command::RegisterInstrument {
                instrument_id: Uuid::now_v7(),
                instrument: reader_description(" Synergy 1 "),
            },
        )
        .await;
    assert!(
        matches!(twice, Err(StoreError::Domain(DomainError::Taken(_)))),
        "{twice:?}"
    );

    f.run(
        &lab.manager,
        Command::SetInstrumentStatus {
            instrument_id: qpcr,
            status: InstrumentStatus::OutOfService,
            reason: "lamp failed".into(),
        },
    )
    .await;
    let names = |filter: InstrumentFilter| {
        let store = f.store.clone();
        async move {
            let found = store.instruments(&filter, page()).await.unwrap();
            let names: Vec<String> = found
                .items
                .iter()
                .map(|i| i.description.name.clone())
                .collect();
            assert_eq!(found.total as usize, names.len());
            names
        }
    };
    assert_eq!(
        names(InstrumentFilter::default()).await,
        ["Synergy 1", "qPCR 1"]
    );
    let plate_readers = InstrumentFilter {
        kind: Some(InstrumentKind::PlateReader),
        ..InstrumentFilter::default()
    };
    assert_eq!(names(plate_readers).await, ["Synergy 1"]);
    let out = InstrumentFilter {
        status: Some(InstrumentStatus::OutOfService),
        ..InstrumentFilter::default()
    };
    assert_eq!(names(out).await, ["qPCR 1"]);
    let by_model = InstrumentFilter {
        search: Some("QuantS".into()),
        ..InstrumentFilter::default()
    };
    assert_eq!(names(by_model).await, ["qPCR 1"]);

    // Corrected with a reason; the same description again is nothing to change.
    let moved = aliquot_domain::instruments::InstrumentDescription {
        location: "Lab 3, bench 1".into(),
        ..reader_description("Synergy 1")
    };
    let edit = |instrument| Command::EditInstrument {
        instrument_id: reader,
        instrument,
        reason: "moved".into(),
    };
    f.run(&lab.manager, edit(moved.clone())).await;
    assert_eq!(
        f.store
            .instrument(reader)
            .await
            .unwrap()
            .description
            .location,
        "Lab 3, bench 1"
    );
    let same = f.store.execute(&lab.manager, edit(moved)).await;
    assert!(
        matches!(same, Err(StoreError::Domain(DomainError::Invalid { .. }))),
        "{same:?}"
    );
    // A technician reads them but may not change them.
    let tech = f
        .store
        .execute(&lab.tech, edit(reader_description("Mine")))
        .await;
    assert!(
        matches!(
            tech,
            Err(StoreError::Forbidden(
                aliquot_domain::Permission::ManageInstruments
            ))
        ),
        "{tech:?}"
    );
}

#[tokio::test]
async fn a_control_lot_has_one_target_per_read() {
    let f = fixture().await;
    let lab = f.lab().await;
    let reader = Uuid::now_v7();
    f.run(
        &lab.manager,
        Command::RegisterInstrument {
            instrument_id: reader,
            instrument: reader_description("Synergy 1"),
        },
    )
    .await;
    let add = |lot| Command::AddControlLot {
        control_lot_id: Uuid::now_v7(),
        instrument_id: reader,
        lot,
    };
    f.run(&lab.manager, add(control_lot(0.05))).await;
    let again = f.store.execute(&lab.manager, add(control_lot(0.07))).await;
    assert!(
        matches!(again, Err(StoreError::Domain(DomainError::Taken(_)))),
        "{again:?}"
    );
    let other_read = aliquot_domain::instruments::NewControlLot {
        read: "630 nm".into(),
        ..control_lot(0.02)
    };
    f.run(&lab.manager, add(other_read)).await;
    let lots = f.store.control_lots(reader, false, page()).await.unwrap();
    assert_eq!(lots.total, 2);
    assert_eq!(
        lots.items
            .iter()
            .map(|l| (l.read.as_str(), l.target_sd.0))
            .collect::<Vec<_>>(),
        [("450 nm", 0.05), ("630 nm", 0.02)]
    );
    let elsewhere = f
        .store
        .control_lots(Uuid::now_v7(), true, page())
        .await
        .unwrap();
    assert_eq!(elsewhere.total, 0);
}
