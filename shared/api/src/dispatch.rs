//! The dispatch table: operation name → typed function. Both transports call [`dispatch`];
//! `for_each_operation!` hands the same list to the Tauri shell to generate its adapters.

use crate::{Api, ApiError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Calls `$callback!` with every operation name. The single list of operations.
#[macro_export]
macro_rules! for_each_operation {
    ($callback:ident) => {
        $callback! {
            setup_status,
            setup_progress,
            create_first_admin,
            login,
            logout,
            whoami,
            change_password,
            list_users,
            create_user,
            change_role,
            deactivate_user,
            reactivate_user,
            issue_password_reset,
            redeem_password_reset,
            get_settings,
            setting_choices,
            change_settings,
            list_audit,
            verify_audit,
            list_sessions,
            revoke_session,
            device_status,
            list_sites,
            create_site,
            update_site,
            void_site,
            list_number_blocks,
            assign_number_block,
            register_participant,
            record_consent,
            search_participants,
            get_participant,
            list_field_events,
            create_field_event,
            check_in_participant,
            event_summary,
            list_kit_templates,
            create_kit_template,
            revise_kit_template,
            retire_kit_template,
            list_sample_types,
            create_sample_type,
            retire_sample_type,
            register_kit,
            get_sample,
            participant_samples,
            list_aliquots,
            sample_history,
            transition_sample,
            receive_samples,
            check_receipt,
            list_expected_tubes,
            create_aliquots,
            request_discard,
            decide_discard,
            list_discard_requests,
            lookup_scan,
            list_notifications,
            mark_notification_read,
            list_instruments,
            get_instrument,
            register_instrument,
            edit_instrument,
            set_instrument_status,
            list_control_lots,
            add_control_lot,
            list_runs,
            get_run,
            list_plates,
            create_run,
            list_plate_templates,
            create_plate_template,
            get_plate_map,
            fill_well,
            clear_well,
            export_plate_map,
            preview_import,
            import_results,
            list_result_imports,
            decide_run,
            list_sample_runs,
            list_sample_results,
            get_control_chart,
            set_watch_folder,
            list_watch_folders,
            list_watched_files,
            preview_watched_file,
            import_watched_file,
            preview_result_set,
            import_result_set,
            list_result_sets,
            list_set_values,
            list_sample_set_values,
            list_partner_mappings,
            set_partner_mapping,
            list_freezers,
            list_racks,
            create_freezer,
            create_rack,
            create_box,
            plan_racks_and_boxes,
            add_racks_and_boxes,
            move_box,
            edit_storage,
            void_storage,
            list_boxes,
            get_box,
            place_samples,
            check_out_samples,
            check_in_samples,
            unplace_sample,
            preview_rack_scan,
            import_rack_scan,
            list_printers,
            configure_printer,
            rename_printer,
            remove_printer,
            get_print_job,
            list_print_jobs,
            reprint,
            cancel_print_job,
            retry_print_job,
            settle_print_job,
            list_unprinted_kits,
            test_print,
            print_labels,
            preview_labels,
            label_sheet,
            list_devices,
            scanner_status,
            hub_certificate,
            connect_hub,
            disconnect_hub,
            sync_status,
            sync_now,
            list_sync_issues,
            list_sync_commands,
            record_sync_state,
            records_sync_state,
            list_lab_sync_issues,
            resolve_sync_issue,
            list_saved_reports,
            get_saved_report,
            save_report,
            change_saved_report,
            void_saved_report,
            list_report_schedules,
            schedule_report,
            void_schedule,
            list_report_runs,
            make_report,
            report_pdf,
            report_csv,
            query_catalogue,
            query_columns,
            preview_query,
            start_export,
            export_status,
            cancel_export,
            export_head
        }
    };
}

macro_rules! table {
    ($($name:ident),*) => {
        /// Every operation's name, as the transports expose it.
        pub const OPERATIONS: &[&str] = &[$(stringify!($name)),*];

        /// What each operation answers, read from its Rust signature: the paging test
        /// takes the operations from here, so a new one is checked without being listed.
        #[doc(hidden)]
        pub fn answers() -> Vec<(&'static str, Answer)> {
            #[allow(unused_imports)]
            use answer::{IsList, IsOne, IsPage};
            vec![$((stringify!($name), (&&&answer::probe(Api::$name)).answer())),*]
        }

        /// Runs operation `name` with JSON `args` for the holder of `token`.
        pub async fn dispatch(
            api: &Api,
            name: &str,
            token: Option<&str>,
            args: serde_json::Value,
        ) -> Result<serde_json::Value, ApiError> {
            // A workstation that left its hub does nothing more until it starts again.
            if api.store().left_hub_archive().is_some() && name != "setup_status" {
                return Err(ApiError::new(
                    crate::ErrorCode::Conflict,
                    "This workstation has left its hub: close Aliquot and start it again to set it up.",
                ));
            }
            // Nor one still copying the lab: its accounts may be half there.
            if api.store().is_joining() && name != "setup_status" {
                return Err(ApiError::new(
                    crate::ErrorCode::Conflict,
                    "This workstation is joining the lab's hub: wait until the lab is copied, \
                     then sign in with your lab account.",
                ));
            }
            // Each operation's future is boxed: one arm's state would otherwise size the
            // whole dispatch future, and a debug build's stack overflows under it.
            match name {
                $(stringify!($name) => respond(Box::pin(api.$name(token, parse(args)?)).await),)*
                _ => Err(ApiError::new(
                    crate::ErrorCode::NotFound,
                    format!("There is no operation called {name:?}."),
                )),
            }
        }
    };
}

for_each_operation!(table);

/// Arguments are checked against the operation's type; unknown fields are refused.
fn parse<T: DeserializeOwned>(args: serde_json::Value) -> Result<T, ApiError> {
    let args = if args.is_null() {
        serde_json::Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| ApiError::invalid(format!("Invalid arguments: {e}.")))
}

/// The shape of an operation's answer, as far as paging goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The one page type.
    Page,
    /// A plain list: every row it found, however many.
    List,
    /// One value (a record, a receipt, nothing).
    One,
}

/// Tells a `Page<T>` or a `Vec<T>` answer from any other by method resolution ("autoref
/// specialisation"): the more references an impl's receiver needs, the later it is tried.
#[doc(hidden)]
pub mod answer {
    use super::Answer;
    use crate::{Api, ApiError};
    use aliquot_domain::paging::Page;
    use std::future::Future;
    use std::marker::PhantomData;

    pub struct Probe<T>(PhantomData<T>);

    pub fn probe<F, Fut, A, R>(_operation: F) -> Probe<R>
    where
        F: Fn(&'static Api, Option<&'static str>, A) -> Fut,
        Fut: Future<Output = Result<R, ApiError>>,
    {
        Probe(PhantomData)
    }

    pub trait IsPage {
        fn answer(&self) -> Answer {
            Answer::Page
        }
    }
    impl<T> IsPage for &&Probe<Page<T>> {}

    pub trait IsList {
        fn answer(&self) -> Answer {
            Answer::List
        }
    }
    impl<T> IsList for &&Probe<Vec<T>> {}

    pub trait IsOne {
        fn answer(&self) -> Answer {
            Answer::One
        }
    }
    impl<T> IsOne for &Probe<T> {}
}

fn respond<T: Serialize>(result: Result<T, ApiError>) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(result?).map_err(|e| ApiError::internal(&e))
}
