//! Login cost on this machine: prints the argon2id parameters, the time of a full sign-in
//! through the store, and, as baselines from the same run, argon2id verification alone and
//! a session check (a SHA-256 plus one indexed lookup). Run: cargo bench -p aliquot-store --bench login

use aliquot_domain::{Actor, Command, SystemClock};
use aliquot_store::{hash_password, verify_password, Store, PASSWORD_PARAMS};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 20;

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let p50 = samples[samples.len() / 2];
    let max = samples[samples.len() - 1];
    format!(
        "p50 {:>7.1} ms  max {:>7.1} ms",
        p50.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3
    )
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), Arc::new(SystemClock))
        .await
        .unwrap();
    let password = "correct horse battery staple";
    let hash = hash_password(password).unwrap();
    store
        .execute(
            &Actor::system(),
            Command::CreateFirstAdmin {
                user_id: uuid::Uuid::now_v7(),
                username: "admin".into(),
                display_name: "Admin".into(),
                password_hash: hash.clone(),
            },
        )
        .await
        .unwrap();

    let (m, t, p) = PASSWORD_PARAMS;
    println!("argon2id m={m} KiB t={t} p={p}; {RUNS} runs each");

    let verify: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            assert!(verify_password(password, &hash));
            start.elapsed()
        })
        .collect();
    let mut login = Vec::new();
    let mut token = String::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        token = store.login("admin", password).await.unwrap().0;
        login.push(start.elapsed());
    }
    let mut session = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        store.session(&token).await.unwrap();
        session.push(start.elapsed());
    }
    println!("full sign-in (store.login):     {}", summary(login));
    println!("baseline: argon2id verify only: {}", summary(verify));
    println!("baseline: session check:        {}", summary(session));
}
