//! Memory under a flood of sign-ins (issue 11, defect 3): 200 concurrent sign-ins with
//! unknown names through the API, as a local attacker would send them, against the
//! process's idle memory; and, as the baseline of the same run, the same 200 password
//! checks run the way they were before the fix (one argon2 run per blocking thread, all at
//! once).
//!
//! `cargo bench -p aliquot-api --bench signin_memory` (ALIQUOT_SIGNINS to change 200).
//! Linux only: it reads VmRSS and VmHWM from /proc/self/status and resets the peak through
//! /proc/self/clear_refs.

use aliquot_api::{dispatch, Api};
use aliquot_store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Resets VmHWM to the current RSS, so the next reading is the peak of what follows.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let signins: usize = std::env::var("ALIQUOT_SIGNINS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), Arc::new(aliquot_domain::SystemClock))
            .await
            .unwrap();
        let api = Api::new(store);
        dispatch(
            &api,
            "create_first_admin",
            None,
            json!({"username": "admin", "display_name": "Ada", "password": "correct horse battery"}),
        )
        .await
        .unwrap();
        // Warm: one real sign-in, so the hashing threads and the decoy hash exist.
        let _ = dispatch(&api, "login", None, json!({"username": "nobody", "password": "x"})).await;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let idle = status_kib("VmRSS:");

        reset_peak();
        let started = Instant::now();
        let mut calls = Vec::with_capacity(signins);
        for i in 0..signins {
            let api = api.clone();
            calls.push(tokio::spawn(async move {
                dispatch(
                    &api,
                    "login",
                    None,
                    json!({"username": format!("intruder{i}"), "password": "guess guess guess"}),
                )
                .await
            }));
        }
        let (mut refused, mut busy, mut other) = (0, 0, 0);
        for c in calls {
            match c.await.unwrap() {
                Err(e) if e.code == aliquot_api::ErrorCode::InvalidCredentials => refused += 1,
                Err(e) if e.code == aliquot_api::ErrorCode::Busy => busy += 1,
                _ => other += 1,
            }
        }
        let elapsed = started.elapsed();
        let peak = status_kib("VmHWM:");
        let after = status_kib("VmRSS:");

        // Baseline: the same number of argon2 checks, all at once, as before the fix.
        let decoy = aliquot_store::hash_password("decoy").unwrap();
        reset_peak();
        let base_started = Instant::now();
        let mut blocking = Vec::with_capacity(signins);
        for _ in 0..signins {
            let decoy = decoy.clone();
            blocking.push(tokio::task::spawn_blocking(move || {
                aliquot_store::verify_password("guess guess guess", &decoy)
            }));
        }
        for b in blocking {
            let _ = b.await;
        }
        let base_elapsed = base_started.elapsed();
        let base_peak = status_kib("VmHWM:");
        let base_after = status_kib("VmRSS:");

        println!("signin_memory: {signins} concurrent sign-ins with unknown names");
        println!("  idle RSS                          {:8.1} MiB", mib(idle));
        println!(
            "  bounded (API): peak RSS           {:8.1} MiB ({:+.1} over idle), after {:.1} MiB, {:.2} s; {refused} refused as wrong, {busy} answered busy, {other} other",
            mib(peak),
            mib(peak.saturating_sub(idle)),
            mib(after),
            elapsed.as_secs_f64()
        );
        println!(
            "  baseline (unbounded spawn_blocking): peak RSS {:8.1} MiB ({:+.1} over idle), after {:.1} MiB, {:.2} s",
            mib(base_peak),
            mib(base_peak.saturating_sub(idle)),
            mib(base_after),
            base_elapsed.as_secs_f64()
        );
    });
}
