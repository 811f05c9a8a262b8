//! Operations and views for collection sites, number blocks, participants and field events.

use crate::dto::{default_per_page, first_page};
use crate::{Api, ApiError};
use aliquot_domain::command::Sex;
use aliquot_domain::numbering::{BlockKind, NewBlock};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::sample::ConsentStatus;
use aliquot_domain::{Command, Permission};
use aliquot_store::registration::{
    BlockRecord, EventSummary, FieldEventRecord, ParticipantRecord, SiteRecord,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListSitesArgs {
    /// Start of a site's code or name.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    /// Voided sites too (Lab setup shows them, struck through).
    #[serde(default)]
    #[ts(optional)]
    pub include_voided: Option<bool>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListNumberBlocksArgs {
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<BlockKind>,
    #[serde(default)]
    #[ts(optional)]
    pub site_id: Option<Uuid>,
    /// Only this workstation's own blocks.
    #[serde(default)]
    #[ts(optional)]
    pub this_workstation: Option<bool>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateSiteArgs {
    pub code: String,
    pub name: String,
    #[ts(type = "number")]
    pub participant_range_start: i64,
    #[ts(type = "number")]
    pub participant_range_end: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct VoidSiteArgs {
    pub site_id: Uuid,
    pub reason: String,
}

/// Only the fields sent are changed.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UpdateSiteArgs {
    pub site_id: Uuid,
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub participant_range_start: Option<i64>,
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub participant_range_end: Option<i64>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NumberBlockView {
    pub id: Uuid,
    pub kind: BlockKind,
    pub device_id: String,
    /// Whether the block belongs to this workstation.
    pub this_workstation: bool,
    pub site_id: Option<Uuid>,
    pub prefix: String,
    pub digits: u8,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    #[ts(type = "number")]
    pub next: i64,
    #[ts(type = "number")]
    pub remaining: i64,
    /// The first code of the block as it prints, to check the format.
    pub example_code: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct AssignNumberBlockArgs {
    pub block: NewBlock,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RegisterParticipantArgs {
    pub site_id: Uuid,
    #[serde(default)]
    #[ts(optional)]
    pub external_id: Option<String>,
    pub consent: ConsentStatus,
    pub consent_date: NaiveDate,
    #[serde(default)]
    #[ts(optional)]
    pub sex: Option<Sex>,
    #[serde(default)]
    #[ts(optional)]
    pub birth_year: Option<i32>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RecordConsentArgs {
    pub participant_id: Uuid,
    pub consent: ConsentStatus,
    pub consent_date: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SearchParticipantsArgs {
    /// Start of a participant code, number or external id; empty lists all.
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    #[ts(optional)]
    pub site_id: Option<Uuid>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct IdArgs {
    pub id: Uuid,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListFieldEventsArgs {
    #[serde(default)]
    #[ts(optional)]
    pub site_id: Option<Uuid>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateFieldEventArgs {
    pub site_id: Uuid,
    pub name: String,
    pub date: NaiveDate,
    pub coordinator_id: Uuid,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CheckInParticipantArgs {
    pub event_id: Uuid,
    pub participant_id: Uuid,
}

impl Api {
    fn block_view(&self, r: BlockRecord) -> NumberBlockView {
        let b = &r.block;
        NumberBlockView {
            id: r.id,
            kind: b.kind,
            this_workstation: b.device_id == self.store().device_id(),
            device_id: b.device_id.clone(),
            site_id: b.site_id,
            prefix: b.prefix.clone(),
            digits: b.digits,
            first: b.first,
            last: b.last,
            next: b.next,
            remaining: b.remaining(),
            example_code: b.code_of(b.first).unwrap_or_default(),
        }
    }

    pub async fn list_sites(
        &self,
        token: Option<&str>,
        args: ListSitesArgs,
    ) -> Result<Page<SiteRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .sites(
                args.search.as_deref(),
                args.include_voided.unwrap_or(false),
                page,
            )
            .await?)
    }

    pub async fn create_site(
        &self,
        token: Option<&str>,
        args: CreateSiteArgs,
    ) -> Result<SiteRecord> {
        let actor = self.actor_with(token, Permission::ManageSites).await?;
        let site_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateSite {
                site_id,
                code: args.code,
                name: args.name,
                participant_range_start: args.participant_range_start,
                participant_range_end: args.participant_range_end,
            },
        )
        .await?;
        Ok(self.store().site(site_id).await?)
    }

    pub async fn update_site(
        &self,
        token: Option<&str>,
        args: UpdateSiteArgs,
    ) -> Result<SiteRecord> {
        let actor = self.actor_with(token, Permission::ManageSites).await?;
        self.run(
            &actor,
            Command::UpdateSite {
                site_id: args.site_id,
                name: args.name,
                participant_range_start: args.participant_range_start,
                participant_range_end: args.participant_range_end,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().site(args.site_id).await?)
    }

    /// Voids a site made by mistake; refused once participants or events belong to it.
    pub async fn void_site(&self, token: Option<&str>, args: VoidSiteArgs) -> Result<SiteRecord> {
        let actor = self.actor_with(token, Permission::ManageSites).await?;
        self.run(
            &actor,
            Command::VoidSite {
                site_id: args.site_id,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().site(args.site_id).await?)
    }

    pub async fn list_number_blocks(
        &self,
        token: Option<&str>,
        args: ListNumberBlocksArgs,
    ) -> Result<Page<NumberBlockView>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let filter = aliquot_store::registration::BlockFilter {
            kind: args.kind,
            site_id: args.site_id,
            device_id: args
                .this_workstation
                .filter(|only| *only)
                .map(|_| self.store().device_id().to_owned()),
            id: None,
        };
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        let blocks = self.store().number_blocks(&filter, page).await?;
        Ok(crate::ops::map_page(blocks, |b| self.block_view(b)))
    }

    pub async fn assign_number_block(
        &self,
        token: Option<&str>,
        args: AssignNumberBlockArgs,
    ) -> Result<NumberBlockView> {
        let actor = self
            .actor_with(token, Permission::ManageNumberBlocks)
            .await?;
        let block_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::AssignNumberBlock {
                block_id,
                block: args.block,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.block_view(self.store().number_block(block_id).await?))
    }

    pub async fn register_participant(
        &self,
        token: Option<&str>,
        args: RegisterParticipantArgs,
    ) -> Result<ParticipantRecord> {
        let actor = self
            .actor_with(token, Permission::RegisterParticipants)
            .await?;
        let participant_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::RegisterParticipant {
                participant_id,
                site_id: args.site_id,
                number: None,
                external_id: args.external_id,
                consent: args.consent,
                consent_date: args.consent_date,
                sex: args.sex,
                birth_year: args.birth_year,
            },
        )
        .await?;
        Ok(self.store().participant(participant_id).await?)
    }

    pub async fn record_consent(
        &self,
        token: Option<&str>,
        args: RecordConsentArgs,
    ) -> Result<ParticipantRecord> {
        let actor = self
            .actor_with(token, Permission::RegisterParticipants)
            .await?;
        self.run(
            &actor,
            Command::RecordConsent {
                participant_id: args.participant_id,
                consent: args.consent,
                consent_date: args.consent_date,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().participant(args.participant_id).await?)
    }

    pub async fn search_participants(
        &self,
        token: Option<&str>,
        args: SearchParticipantsArgs,
    ) -> Result<Page<ParticipantRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .search_participants(&args.query, args.site_id, page)
            .await?)
    }

    pub async fn get_participant(
        &self,
        token: Option<&str>,
        args: IdArgs,
    ) -> Result<ParticipantRecord> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.store().participant(args.id).await?)
    }

    pub async fn list_field_events(
        &self,
        token: Option<&str>,
        args: ListFieldEventsArgs,
    ) -> Result<Page<FieldEventRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store().field_events(args.site_id, page).await?)
    }

    pub async fn create_field_event(
        &self,
        token: Option<&str>,
        args: CreateFieldEventArgs,
    ) -> Result<FieldEventRecord> {
        let actor = self
            .actor_with(token, Permission::ManageFieldEvents)
            .await?;
        let event_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateFieldEvent {
                event_id,
                site_id: args.site_id,
                name: args.name,
                date: args.date,
                coordinator_id: args.coordinator_id,
            },
        )
        .await?;
        Ok(self.store().event_summary(event_id).await?.event)
    }

    pub async fn check_in_participant(
        &self,
        token: Option<&str>,
        args: CheckInParticipantArgs,
    ) -> Result<EventSummary> {
        let actor = self
            .actor_with(token, Permission::RegisterParticipants)
            .await?;
        self.run(
            &actor,
            Command::CheckInParticipant {
                event_id: args.event_id,
                participant_id: args.participant_id,
            },
        )
        .await?;
        Ok(self.store().event_summary(args.event_id).await?)
    }

    pub async fn event_summary(&self, token: Option<&str>, args: IdArgs) -> Result<EventSummary> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.store().event_summary(args.id).await?)
    }
}
