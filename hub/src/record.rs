//! Where the hub keeps its record: beside the lab in its one SQLite file (the default), or
//! in PostgreSQL, shared by every hub process, with the lab in each process's SQLite copy
//! (ARCHITECTURE.md, "The hub on PostgreSQL").
//!
//! A decision (a push, a lease, the hub's own command) is the same code on both: it takes
//! a [`Decision`], works through its methods, and finishes it. On PostgreSQL a decision
//! holds the lab's advisory lock, starts from a copy caught up to the feed's head, and
//! commits PostgreSQL (the feed rows it made, the claims, the chains) before its copy.

use crate::db::{self, DeviceChain, NewClaim};
use crate::pg::{self, FeedImage};
use crate::HubFailure;
use aliquot_domain::audit::StoredAuditRow;
use aliquot_store::{Store, WriteTx};
use aliquot_sync::plan::Claim;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use std::collections::HashMap;
use uuid::Uuid;

type Result<T> = std::result::Result<T, HubFailure>;

/// How many feed rows a catch-up applies per statement.
const CATCH_UP_PAGE: i64 = 5_000;

#[derive(Clone)]
pub(crate) enum Record {
    /// The hub's tables beside the lab's, in the store's own file.
    Sqlite,
    /// The hub's record in PostgreSQL; the store is this process's copy of the lab.
    Postgres(PgPool),
}

/// One decision in progress: the lab copy's write transaction and, on PostgreSQL, the
/// record's transaction holding the decision lock.
pub(crate) struct Decision {
    local: WriteTx,
    pg: Option<Transaction<'static, Postgres>>,
}

impl Record {
    /// Starts a decision: on PostgreSQL, takes the lock and brings the copy to the head.
    pub(crate) async fn begin(&self, store: &Store) -> Result<Decision> {
        match self {
            Record::Sqlite => Ok(Decision {
                local: store.begin_write().await?,
                pg: None,
            }),
            Record::Postgres(pool) => {
                let mut record = pool.begin().await?;
                pg::take_decision_lock(&mut record).await?;
                let head = pg::head(&mut record).await?;
                let mut local = store.begin_write().await?;
                let at = catch_up(store, &mut local, &mut record, head).await?;
                if at != head {
                    return Err(copy_ahead(at, head));
                }
                Ok(Decision {
                    local,
                    pg: Some(record),
                })
            }
        }
    }

    /// Brings this process's copy of the lab up to `upto` (at most), without the decision
    /// lock: the feed up to a head never changes. Returns where the copy stands (past
    /// `upto` when this process decided more since). Nothing to do on SQLite.
    pub(crate) async fn catch_up_to(&self, store: &Store, upto: Option<i64>) -> Result<i64> {
        match self {
            Record::Sqlite => db::head(store.pool()).await,
            Record::Postgres(pool) => {
                let mut feed = pool.acquire().await?;
                let upto = match upto {
                    Some(upto) => upto,
                    None => pg::head(&mut feed).await?,
                };
                let mut local = store.begin_write().await?;
                let at = catch_up(store, &mut local, &mut feed, upto).await?;
                store.commit_write(local).await?;
                Ok(at)
            }
        }
    }
}

/// Applies the feed after the copy's position up to `upto`, a page at a time. The copy's
/// feed triggers record the rows again (they are the feed already) and the rows are
/// dropped, so a decision's own rows are all that the copy's change table holds.
async fn catch_up(
    store: &Store,
    local: &mut WriteTx,
    feed: &mut sqlx::PgConnection,
    upto: i64,
) -> Result<i64> {
    let mut at = db::copy_position(local.conn()).await?;
    while at < upto {
        let (images, end) = pg::feed_after(feed, at, upto, CATCH_UP_PAGE).await?;
        let changes = images
            .into_iter()
            .map(FeedImage::into_change)
            .collect::<Result<Vec<_>>>()?;
        db::open_copy_change(local.conn(), end).await?;
        store.apply_hub_rows(local, &changes).await?;
        db::close_copy_change(local.conn()).await?;
        at = end;
    }
    Ok(at)
}

fn copy_ahead(at: i64, head: i64) -> HubFailure {
    HubFailure::internal(format!(
        "this hub process's copy of the lab is at change {at}, past PostgreSQL's head {head}: \
         the database was restored to an earlier point; stop this process, remove its data \
         directory's aliquot.db and start it again to copy the lab afresh"
    ))
}

impl Decision {
    /// The lab copy's transaction: lab rows change only through the executor on it.
    pub(crate) fn local(&mut self) -> &mut WriteTx {
        &mut self.local
    }

    /// Commits the decision: PostgreSQL first (the feed rows, the head, the record), then
    /// the copy. If the process dies in between, its copy is behind the feed and the next
    /// catch-up applies what it missed.
    pub(crate) async fn finish(self, store: &Store) -> Result<()> {
        let Decision { mut local, pg } = self;
        if let Some(mut record) = pg {
            let images = db::take_copy_changes(local.conn()).await?;
            let head = db::copy_position(local.conn()).await?;
            pg::append_changes(&mut record, &images, head).await?;
            record.commit().await?;
        }
        store.commit_write(local).await?;
        Ok(())
    }

    pub(crate) async fn device_last_seq(&mut self, device_id: &str) -> Result<i64> {
        match &mut self.pg {
            None => db::device_last_seq(self.local.conn(), device_id).await,
            Some(record) => pg::device_last_seq(record, device_id).await,
        }
    }

    pub(crate) async fn set_device_last_seq(&mut self, device_id: &str, seq: i64) -> Result<()> {
        match &mut self.pg {
            None => db::set_device_last_seq(self.local.conn(), device_id, seq).await,
            Some(record) => pg::set_device_last_seq(record, device_id, seq).await,
        }
    }

    pub(crate) async fn claims_of(
        &mut self,
        command_ids: &[Uuid],
        device_id: &str,
    ) -> Result<HashMap<Uuid, Claim>> {
        match &mut self.pg {
            None => db::claims_of(self.local.conn(), command_ids, device_id).await,
            Some(record) => pg::claims_of(record, command_ids, device_id).await,
        }
    }

    pub(crate) async fn record_claims(
        &mut self,
        device_id: &str,
        received_at: DateTime<Utc>,
        claims: &[NewClaim],
    ) -> Result<()> {
        match &mut self.pg {
            None => db::record_claims(self.local.conn(), device_id, received_at, claims).await,
            Some(record) => pg::record_claims(record, device_id, received_at, claims).await,
        }
    }

    pub(crate) async fn device_chain(&mut self, device_id: &str) -> Result<DeviceChain> {
        match &mut self.pg {
            None => db::device_chain(self.local.conn(), device_id).await,
            Some(record) => pg::device_chain(record, device_id).await,
        }
    }

    pub(crate) async fn device_audit_hash(
        &mut self,
        device_id: &str,
        seq: i64,
    ) -> Result<Option<String>> {
        match &mut self.pg {
            None => db::device_audit_hash(self.local.conn(), device_id, seq).await,
            Some(record) => pg::device_audit_hash(record, device_id, seq).await,
        }
    }

    pub(crate) async fn keep_device_audit(
        &mut self,
        device_id: &str,
        rows: &[&StoredAuditRow],
    ) -> Result<()> {
        match &mut self.pg {
            None => db::keep_device_audit(self.local.conn(), device_id, rows).await,
            Some(record) => pg::keep_device_audit(record, device_id, rows).await,
        }
    }

    pub(crate) async fn set_device_chain(
        &mut self,
        device_id: &str,
        seq: i64,
        hash: &str,
    ) -> Result<()> {
        match &mut self.pg {
            None => db::set_device_chain(self.local.conn(), device_id, seq, hash).await,
            Some(record) => pg::set_device_chain(record, device_id, seq, hash).await,
        }
    }

    pub(crate) async fn break_device_chain(&mut self, device_id: &str, why: &str) -> Result<()> {
        match &mut self.pg {
            None => db::break_device_chain(self.local.conn(), device_id, why).await,
            Some(record) => pg::break_device_chain(record, device_id, why).await,
        }
    }
}
