//! The only UI-facing surface of Aliquot.
//!
//! One async method on [`Api`] per operation, and one dispatch table ([`dispatch`]) that
//! both transports use: the Tauri commands in `src-tauri` and the local HTTP mode in
//! [`http`]. Only the types in [`dto`] and [`ApiError`] are serialised for the UI.

mod dispatch;
pub mod dto;
mod error;
#[cfg(feature = "http")]
pub mod http;
pub mod hub_client;
pub mod instruments;
mod ops;
pub mod printing;
pub mod query;
pub mod registration;
pub mod reports;
pub mod result_sets;
pub mod runs;
pub mod samples;
pub mod scanning;
pub mod schedules;
pub mod storage;
pub mod sync;
pub mod watch_folders;

pub use dispatch::{answers, dispatch, Answer, OPERATIONS};
pub use error::{ApiError, ErrorCode};
pub use ops::{forward_events, Api};
