//! Password hashing: argon2id with OWASP's minimum parameters (ASVS 11.4.2), run on a small
//! fixed set of threads so that a flood of sign-ins cannot take the machine's memory.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
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

type Job = Box<dyn FnOnce() + Send>;

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
    loop {
        let job = match queue.lock() {
            Ok(receiver) => match receiver.recv() {
                Ok(job) => job,
                Err(_) => return, // the store is gone
            },
            Err(_) => return,
        };
        job();
    }
}

impl HashingSlot {
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, crate::StoreError> {
        let (done, result) = tokio::sync::oneshot::channel();
        // The permit guarantees room in the channel; a full or closed one is still "busy".
        self.workers
            .jobs
            .try_send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| crate::StoreError::Busy)?;
        result.await.map_err(|_| crate::StoreError::Busy)
    }

    pub(crate) async fn hash(self, password: String) -> Result<String, crate::StoreError> {
        self.run(move || hash_password(&password)).await?
    }

    pub(crate) async fn verify(
        self,
        password: String,
        stored: String,
    ) -> Result<bool, crate::StoreError> {
        self.run(move || verify_password(&password, &stored)).await
    }
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
            waiting.push(tokio::spawn(slot.run(move || {
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
