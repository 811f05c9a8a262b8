//! Password hashing: argon2id with OWASP's minimum parameters (ASVS 11.4.2), run on a small
//! fixed set of threads so that a flood of sign-ins cannot take the machine's memory.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// m = 19 MiB, t = 2, p = 1.
pub const PASSWORD_PARAMS: (u32, u32, u32) = (19_456, 2, 1);

/// Passwords hashed at once. Each argon2 run holds 19 MiB, and each thread keeps its own
/// allocator arena, so the threads are few and fixed: memory stays bounded whatever arrives.
pub const HASHING_THREADS: usize = 2;
/// Sign-ins that may wait for a hashing thread; past them the answer is "busy, try again".
pub const HASHING_WAITING: usize = 16;

/// A job runs on a hashing thread with that thread's own argon2 memory (19 MiB, allocated
/// once and reused): allocating it per run let the allocator keep growing (+210 MiB after
/// 18 sign-ins, measured by `benches/signin_memory.rs`).
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The hashing threads. Cloned with the store; the threads end when the last clone goes.
#[derive(Clone)]
pub(crate) struct PasswordWorkers {
    jobs: SyncSender<Job>,
    admission: Arc<Semaphore>,
}

/// A place in the hashing queue, taken before anything is counted or written, so a caller
/// turned away as busy has used nothing (not even a sign-in attempt).
pub(crate) struct HashingSlot {
    workers: PasswordWorkers,
    _permit: OwnedSemaphorePermit,
}

impl PasswordWorkers {
    pub(crate) fn start() -> std::io::Result<PasswordWorkers> {
        let capacity = HASHING_THREADS + HASHING_WAITING;
        let (jobs, queue) = sync_channel::<Job>(capacity);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..HASHING_THREADS {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("aliquot-argon2-{i}"))
                .spawn(move || run_jobs(&queue))?;
        }
        Ok(PasswordWorkers {
            jobs,
            admission: Arc::new(Semaphore::new(capacity)),
        })
    }

    /// A place in the queue now, or `Busy`.
    pub(crate) fn reserve(&self) -> Result<HashingSlot, crate::StoreError> {
        let permit = Arc::clone(&self.admission)
            .try_acquire_owned()
            .map_err(|_| crate::StoreError::Busy)?;
        Ok(HashingSlot {
            workers: self.clone(),
            _permit: permit,
        })
    }
}

fn run_jobs(queue: &Mutex<Receiver<Job>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = match queue.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(job) => job,
                Err(_) => return, // the store is gone
            },
            Err(_) => return,
        };
        job(&mut memory);
    }
}

impl HashingSlot {
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, crate::StoreError> {
        let (done, result) = tokio::sync::oneshot::channel();
        // The permit guarantees room in the channel; a full or closed one is still "busy".
        self.workers
            .jobs
            .try_send(Box::new(move |memory: &mut Vec<Block>| {
                let _ = done.send(work(memory));
            }))
            .map_err(|_| crate::StoreError::Busy)?;
        result.await.map_err(|_| crate::StoreError::Busy)
    }

    pub(crate) async fn hash(self, password: String) -> Result<String, crate::StoreError> {
        self.run(move |memory| hash_with_memory(&password, memory))
            .await?
    }

    pub(crate) async fn verify(
        self,
        password: String,
        stored: String,
    ) -> Result<bool, crate::StoreError> {
        self.run(move |memory| verify_with_memory(&password, &stored, memory))
            .await
    }
}

/// `memory` grown to `blocks` once; later runs reuse it.
fn blocks_of(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    &mut memory[..blocks]
}

/// [`hash_password`] in the thread's own memory: the same PHC string.
fn hash_with_memory(password: &str, memory: &mut Vec<Block>) -> Result<String, crate::StoreError> {
    let fail = |e: &dyn std::fmt::Display| {
        crate::StoreError::Decode(format!("password hashing failed: {e}"))
    };
    let argon2 = hasher();
    let params = argon2.params().clone();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0_u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
    let mut out = [0_u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            blocks_of(memory, params.block_count()),
        )
        .map_err(|e| fail(&e))?;
    let output = argon2::password_hash::Output::new(&out).map_err(|e| fail(&e))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
        output
    ))
}

/// [`verify_password`] in the thread's own memory. A stored hash with other parameters (an
/// older policy) is verified the ordinary way.
fn verify_with_memory(password: &str, stored: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(params), Ok(algorithm), Some(salt), Some(expected)) = (
        Params::try_from(&parsed),
        Algorithm::try_from(parsed.algorithm),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    if params.block_count() > hasher().params().block_count() {
        return verify_password(password, stored);
    }
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0_u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0_u8; expected.len()];
    let blocks = params.block_count();
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt_bytes,
        &mut out,
        blocks_of(memory, blocks),
    );
    // `Output`'s equality is constant-time.
    computed.is_ok() && argon2::password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

fn hasher() -> Argon2<'static> {
    let (m, t, p) = PASSWORD_PARAMS;
    // The constants are valid argon2 parameters; `Params::new` only rejects out-of-range values.
    let params = Params::new(m, t, p, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, crate::StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| crate::StoreError::Decode(format!("password hashing failed: {e}")))
}

/// True when `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_argon2id_and_the_minimum_parameters() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn hashing_in_reused_memory_agrees_with_the_ordinary_functions() {
        let mut memory = Vec::new();
        let ours = hash_with_memory("correct horse battery", &mut memory).unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        assert!(verify_password("correct horse battery", &ours));
        let theirs = hash_password("correct horse battery").unwrap();
        assert!(verify_with_memory(
            "correct horse battery",
            &theirs,
            &mut memory
        ));
        assert!(!verify_with_memory(
            "correct horse batterY",
            &theirs,
            &mut memory
        ));
        assert!(!verify_with_memory("x", "not a hash", &mut memory));
        // A hash made under other (smaller) parameters still verifies.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).unwrap(),
        )
        .hash_password(b"old policy", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify_with_memory("old policy", &small, &mut memory));
        assert!(!verify_with_memory("old polic", &small, &mut memory));
    }

    #[tokio::test]
    async fn past_the_hashing_queue_the_answer_is_busy_and_nothing_waits() {
        // Issue 11, defect 3: 200 concurrent sign-ins each ran argon2 (19 MiB) at once.
        let workers = PasswordWorkers::start().unwrap();
        let held: Vec<HashingSlot> = (0..HASHING_THREADS + HASHING_WAITING)
            .map(|_| workers.reserve().unwrap())
            .collect();
        assert!(matches!(workers.reserve(), Err(crate::StoreError::Busy)));
        drop(held);
        let hash = workers
            .reserve()
            .unwrap()
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(workers
            .reserve()
            .unwrap()
            .verify("correct horse battery".into(), hash)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn no_more_than_the_hashing_threads_run_at_once() {
        let workers = PasswordWorkers::start().unwrap();
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut waiting = Vec::new();
        for _ in 0..HASHING_THREADS + HASHING_WAITING {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            let slot = workers.reserve().unwrap();
            waiting.push(tokio::spawn(slot.run(move |_| {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(5));
                running.fetch_sub(1, SeqCst);
            })));
        }
        for w in waiting {
            w.await.unwrap().unwrap();
        }
        let most = most.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=HASHING_THREADS).contains(&most), "{most} ran at once");
    }
}
