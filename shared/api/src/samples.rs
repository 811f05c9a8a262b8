//! Operations and views for kit templates, kit registration, sample detail, status
//! changes, aliquots, discard requests, lookup by scan and notifications.

use crate::dto::{default_per_page, first_page, CoreEvent};
use crate::registration::IdArgs;
use crate::{Api, ApiError};
use aliquot_domain::command::{NewAliquot, NewTube};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::sample::{
    self, ConsentStatus, KitItem, ReceiptCheck, SampleStatus, SampleType, Via,
};
use aliquot_domain::{Command, Permission, Role};
use aliquot_store::lookup::Scanned;
use aliquot_store::notifications::NotificationRecord;
use aliquot_store::registration::ParticipantRecord;
use aliquot_store::samples::{
    DiscardFilter, DiscardRequestRecord, DiscardState, KitTemplateRecord, Location, SampleEvent,
    SampleRecord, SampleTypeRecord, SamplesOf,
};
use aliquot_store::storage::BoxRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateKitTemplateArgs {
    pub name: String,
    pub items: Vec<KitItem>,
}

/// New lines for a template, as its next version after `version` (the one on screen).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReviseKitTemplateArgs {
    pub template_id: Uuid,
    pub version: u32,
    pub items: Vec<KitItem>,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RetireKitTemplateArgs {
    pub template_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListSampleTypesArgs {
    /// Start of a type's code or name.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    /// Retired types too (to name the type of an old tube).
    #[serde(default)]
    #[ts(optional)]
    pub include_retired: Option<bool>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateSampleTypeArgs {
    pub code: String,
    pub short_code: String,
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RetireSampleTypeArgs {
    pub code: SampleType,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RegisterKitArgs {
    pub participant_id: Uuid,
    pub template_id: Uuid,
    #[serde(default)]
    #[ts(optional)]
    pub event_id: Option<Uuid>,
    pub collected_at: DateTime<Utc>,
    pub collector: String,
    /// One entry per tube of the kit: a scanned pre-printed code, or null to issue one.
    /// Omit to issue every code.
    #[serde(default)]
    #[ts(optional)]
    pub codes: Option<Vec<Option<String>>>,
    /// Queue the kit's labels on the sample label printer once the kit is registered.
    #[serde(default)]
    #[ts(optional, as = "Option<bool>")]
    pub print_labels: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleView {
    pub id: Uuid,
    pub code: String,
    pub sample_type: SampleType,
    pub sample_type_code: String,
    pub sample_type_label: String,
    pub status: SampleStatus,
    pub volume_ul: Option<u32>,
    pub parent_id: Option<Uuid>,
    pub event_id: Option<Uuid>,
    pub collected_at: DateTime<Utc>,
    pub collector: String,
    /// Seconds out of the freezer so far, including a check-out still open.
    #[ts(type = "number")]
    pub time_out_seconds: i64,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub participant_id: Uuid,
    pub participant_code: String,
    pub consent: ConsentStatus,
    /// True when the participant withdrew consent: shown on every sample.
    pub consent_withdrawn: bool,
    pub site_code: String,
    pub site_name: String,
    pub location: Option<Location>,
    /// The statuses a technician may set by hand from here.
    pub next_statuses: Vec<SampleStatus>,
}

impl SampleView {
    fn new(s: SampleRecord, now: DateTime<Utc>) -> Self {
        let open = s
            .checked_out_at
            .map_or(0, |out| (now - out).num_seconds().max(0));
        SampleView {
            id: s.id,
            code: s.code,
            sample_type: s.sample_type,
            sample_type_code: s.sample_type_code,
            sample_type_label: s.sample_type_label,
            status: s.status,
            volume_ul: s.volume_ul,
            parent_id: s.parent_id,
            event_id: s.event_id,
            collected_at: s.collected_at,
            collector: s.collector,
            time_out_seconds: s.time_out_seconds + open,
            checked_out_at: s.checked_out_at,
            participant_id: s.participant_id,
            participant_code: s.participant_code,
            consent_withdrawn: s.consent == ConsentStatus::Withdrawn,
            consent: s.consent,
            site_code: s.site_code,
            site_name: s.site_name,
            location: s.location,
            next_statuses: sample::next_statuses(s.status, Via::Manual),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct KitRegistered {
    pub registration_id: Uuid,
    pub samples: Vec<SampleView>,
    /// Present when labels were asked for: the job, or why it could not be queued.
    pub labels: Option<crate::printing::LabelsQueued>,
}

/// Everything the sample screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SampleDetail {
    pub sample: SampleView,
    pub parent: Option<SampleView>,
    /// The first page of the aliquots made from it (`list_aliquots` pages on).
    pub aliquots: Page<SampleView>,
    /// It has been in a box at some time (its history pages through `sample_history`).
    pub been_stored: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListKitTemplatesArgs {
    /// Start of a template's name.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    /// Retired templates too (Lab setup shows them; the desk does not).
    #[serde(default)]
    #[ts(optional)]
    pub include_retired: Option<bool>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ParticipantSamplesArgs {
    pub participant_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SampleListArgs {
    pub sample_id: Uuid,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TransitionSampleArgs {
    pub sample_id: Uuid,
    /// The status the technician saw; a sample that moved on since is refused.
    pub expected: SampleStatus,
    pub to: SampleStatus,
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct AliquotSpec {
    pub sample_type: SampleType,
    pub volume_ul: u32,
    #[serde(default)]
    #[ts(optional)]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CreateAliquotsArgs {
    pub parent_id: Uuid,
    pub aliquots: Vec<AliquotSpec>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RequestDiscardArgs {
    pub sample_id: Uuid,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct DecideDiscardArgs {
    pub request_id: Uuid,
    pub approve: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiscardRequestState {
    Pending,
    Approved,
    Rejected,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListDiscardRequestsArgs {
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<DiscardRequestState>,
    /// Start of a sample code.
    #[serde(default)]
    #[ts(optional)]
    pub sample_code: Option<String>,
    /// Only this requester's (technicians always see only their own, but for one tube).
    #[serde(default)]
    #[ts(optional)]
    pub requested_by: Option<Uuid>,
    /// Only this tube's: its story, which everyone who reads the tube may see.
    #[serde(default)]
    #[ts(optional)]
    pub sample_id: Option<Uuid>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReceiveSamplesArgs {
    pub sample_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct CheckReceiptArgs {
    /// The code as scanned (with or without its check character).
    pub code: String,
}

/// A received batch: all of it, or the call failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SamplesReceived {
    pub received: u32,
}

/// What a tube scanned at receiving is, before the batch is committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReceiptCandidate {
    /// The code as scanned, trimmed.
    pub code: String,
    /// The tube, when the code names one.
    pub sample: Option<SampleView>,
    /// What receiving it would mean; `None` when the code names no tube.
    pub check: Option<ReceiptCheck>,
    /// Whether it joins the batch the technician commits.
    pub joins_batch: bool,
    /// What to do next, in the lab's words.
    pub next_step: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListExpectedTubesArgs {
    /// The field event the shipment comes from; none for every expected tube.
    #[serde(default)]
    pub event_id: Option<Uuid>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LookupScanArgs {
    pub code: String,
}

/// What a scanned code names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum ScanLookup {
    Sample {
        sample: Box<SampleView>,
    },
    Box {
        storage_box: Box<BoxRecord>,
    },
    Participant {
        participant: Box<ParticipantRecord>,
    },
    /// A plate's label: the run's page opens at it.
    Plate {
        plate: Box<aliquot_store::runs::PlateRecord>,
    },
    Unknown {
        code: String,
    },
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListNotificationsArgs {
    #[serde(default)]
    pub unread_only: bool,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

impl Api {
    pub(crate) fn sample_view(&self, s: SampleRecord) -> SampleView {
        SampleView::new(s, self.store().now())
    }

    pub async fn list_kit_templates(
        &self,
        token: Option<&str>,
        args: ListKitTemplatesArgs,
    ) -> Result<Page<KitTemplateRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .kit_templates(
                args.search.as_deref(),
                args.include_retired.unwrap_or(false),
                page,
            )
            .await?)
    }

    /// Changes a template's lines as its next version; kits registered before keep theirs.
    pub async fn revise_kit_template(
        &self,
        token: Option<&str>,
        args: ReviseKitTemplateArgs,
    ) -> Result<KitTemplateRecord> {
        let actor = self
            .actor_with(token, Permission::ManageKitTemplates)
            .await?;
        self.run(
            &actor,
            Command::ReviseKitTemplate {
                template_id: args.template_id,
                version: args.version.saturating_add(1),
                items: args.items,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().kit_template(args.template_id).await?)
    }

    pub async fn retire_kit_template(
        &self,
        token: Option<&str>,
        args: RetireKitTemplateArgs,
    ) -> Result<KitTemplateRecord> {
        let actor = self
            .actor_with(token, Permission::ManageKitTemplates)
            .await?;
        self.run(
            &actor,
            Command::RetireKitTemplate {
                template_id: args.template_id,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().kit_template(args.template_id).await?)
    }

    pub async fn list_sample_types(
        &self,
        token: Option<&str>,
        args: ListSampleTypesArgs,
    ) -> Result<Page<SampleTypeRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .sample_types(
                args.search.as_deref(),
                args.include_retired.unwrap_or(false),
                page,
            )
            .await?)
    }

    pub async fn create_sample_type(
        &self,
        token: Option<&str>,
        args: CreateSampleTypeArgs,
    ) -> Result<SampleTypeRecord> {
        let actor = self
            .actor_with(token, Permission::ManageKitTemplates)
            .await?;
        let (code, _, _) = sample::validate_sample_type(&args.code, &args.short_code, &args.label)?;
        self.run(
            &actor,
            Command::CreateSampleType {
                code: args.code,
                short_code: args.short_code,
                label: args.label,
            },
        )
        .await?;
        self.sample_type(&code).await
    }

    pub async fn retire_sample_type(
        &self,
        token: Option<&str>,
        args: RetireSampleTypeArgs,
    ) -> Result<SampleTypeRecord> {
        let actor = self
            .actor_with(token, Permission::ManageKitTemplates)
            .await?;
        let code = args.code.as_str().to_owned();
        self.run(
            &actor,
            Command::RetireSampleType {
                sample_type: args.code,
                reason: args.reason,
            },
        )
        .await?;
        self.sample_type(&code).await
    }

    /// One sample type by code.
    async fn sample_type(&self, code: &str) -> Result<SampleTypeRecord> {
        self.store()
            .sample_type(code)
            .await?
            .ok_or_else(|| ApiError::from(aliquot_domain::DomainError::NotFound("sample type")))
    }

    pub async fn create_kit_template(
        &self,
        token: Option<&str>,
        args: CreateKitTemplateArgs,
    ) -> Result<KitTemplateRecord> {
        let actor = self
            .actor_with(token, Permission::ManageKitTemplates)
            .await?;
        let template_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::CreateKitTemplate {
                template_id,
                name: args.name,
                items: args.items,
            },
        )
        .await?;
        Ok(self.store().kit_template(template_id).await?)
    }

    /// Registers a participant's whole kit in one command.
    pub async fn register_kit(
        &self,
        token: Option<&str>,
        args: RegisterKitArgs,
    ) -> Result<KitRegistered> {
        let actor = self.actor_with(token, Permission::RegisterSamples).await?;
        let template = self.store().kit_template(args.template_id).await?;
        let count = sample::kit_tubes(&template.items)?.len();
        let codes = args.codes.unwrap_or_else(|| vec![None; count]);
        if codes.len() != count {
            return Err(ApiError::invalid(format!(
                "The kit {} has {count} tubes; {} codes were given.",
                template.name,
                codes.len()
            )));
        }
        let tubes: Vec<NewTube> = codes
            .into_iter()
            .map(|code| NewTube {
                sample_id: Uuid::now_v7(),
                code,
            })
            .collect();
        let ids: Vec<Uuid> = tubes.iter().map(|t| t.sample_id).collect();
        let registration_id = Uuid::now_v7();
        // The labels owed are recorded with the kit, in its transaction: a crash before the
        // job is queued leaves the kit listed as unprinted, never silently without labels.
        let along = if args.print_labels {
            aliquot_store::AlongWith::KitLabelsOwed { registration_id }
        } else {
            aliquot_store::AlongWith::Nothing
        };
        self.run_along_with(
            &actor,
            Command::RegisterKit {
                registration_id,
                participant_id: args.participant_id,
                template_id: args.template_id,
                template_version: Some(template.version),
                event_id: args.event_id,
                collected_at: args.collected_at,
                collector: args.collector,
                tubes,
            },
            along,
        )
        .await?;
        // The job is queued only now, after the kit's command has committed: a label never
        // exists for a tube that does not.
        let labels = if args.print_labels {
            Some(
                self.queue_labels_after(
                    token,
                    aliquot_domain::printing::LabelGroup::Kit { registration_id },
                )
                .await,
            )
        } else {
            None
        };
        let mut samples = Vec::with_capacity(ids.len());
        for id in ids {
            samples.push(self.sample_view(self.store().sample(id).await?));
        }
        Ok(KitRegistered {
            registration_id,
            samples,
            labels,
        })
    }

    pub async fn get_sample(&self, token: Option<&str>, args: IdArgs) -> Result<SampleDetail> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let store = self.store();
        let sample = store.sample(args.id).await?;
        let parent = match sample.parent_id {
            Some(p) => Some(self.sample_view(store.sample(p).await?)),
            None => None,
        };
        let aliquots = store
            .samples_of(SamplesOf::Parent(args.id), PageRequest::default())
            .await?;
        Ok(SampleDetail {
            parent,
            aliquots: crate::ops::map_page(aliquots, |s| self.sample_view(s)),
            been_stored: store.has_been_stored(args.id).await?,
            sample: self.sample_view(sample),
        })
    }

    /// A page of one participant's samples, by code.
    pub async fn participant_samples(
        &self,
        token: Option<&str>,
        args: ParticipantSamplesArgs,
    ) -> Result<Page<SampleView>> {
        let of = SamplesOf::Participant(args.participant_id);
        self.samples_page(token, of, args.page, args.per_page).await
    }

    /// A page of the aliquots made from one sample, by code.
    pub async fn list_aliquots(
        &self,
        token: Option<&str>,
        args: SampleListArgs,
    ) -> Result<Page<SampleView>> {
        let of = SamplesOf::Parent(args.sample_id);
        self.samples_page(token, of, args.page, args.per_page).await
    }

    /// The one read behind both sample lists.
    async fn samples_page(
        &self,
        token: Option<&str>,
        of: SamplesOf,
        page: u32,
        per_page: u32,
    ) -> Result<Page<SampleView>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let samples = self
            .store()
            .samples_of(of, PageRequest { page, per_page })
            .await?;
        Ok(crate::ops::map_page(samples, |s| self.sample_view(s)))
    }

    /// A page of what happened to one tube, newest first.
    pub async fn sample_history(
        &self,
        token: Option<&str>,
        args: SampleListArgs,
    ) -> Result<Page<SampleEvent>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store().sample_history(args.sample_id, page).await?)
    }

    pub async fn transition_sample(
        &self,
        token: Option<&str>,
        args: TransitionSampleArgs,
    ) -> Result<SampleView> {
        let actor = self.actor_with(token, Permission::ProcessSamples).await?;
        self.run(
            &actor,
            Command::TransitionSample {
                sample_id: args.sample_id,
                expected: args.expected,
                to: args.to,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.sample_view(self.store().sample(args.sample_id).await?))
    }

    pub async fn create_aliquots(
        &self,
        token: Option<&str>,
        args: CreateAliquotsArgs,
    ) -> Result<Vec<SampleView>> {
        let actor = self.actor_with(token, Permission::ProcessSamples).await?;
        let children: Vec<NewAliquot> = args
            .aliquots
            .into_iter()
            .map(|a| NewAliquot {
                sample_id: Uuid::now_v7(),
                code: a.code,
                sample_type: a.sample_type,
                volume_ul: a.volume_ul,
            })
            .collect();
        let ids: Vec<Uuid> = children.iter().map(|c| c.sample_id).collect();
        self.run(
            &actor,
            Command::CreateAliquots {
                parent_id: args.parent_id,
                children,
            },
        )
        .await?;
        let mut made = Vec::with_capacity(ids.len());
        for id in ids {
            made.push(self.sample_view(self.store().sample(id).await?));
        }
        Ok(made)
    }

    pub async fn request_discard(
        &self,
        token: Option<&str>,
        args: RequestDiscardArgs,
    ) -> Result<DiscardRequestRecord> {
        let actor = self.actor_with(token, Permission::RequestDiscard).await?;
        let request_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::RequestDiscard {
                request_id,
                sample_id: args.sample_id,
                reason: args.reason,
            },
        )
        .await?;
        self.emit(CoreEvent::NotificationsChanged);
        self.discard_request(request_id).await
    }

    pub async fn decide_discard(
        &self,
        token: Option<&str>,
        args: DecideDiscardArgs,
    ) -> Result<DiscardRequestRecord> {
        let actor = self.actor_with(token, Permission::DecideDiscard).await?;
        self.run(
            &actor,
            Command::DecideDiscard {
                request_id: args.request_id,
                approve: args.approve,
                reason: args.reason,
            },
        )
        .await?;
        self.emit(CoreEvent::NotificationsChanged);
        self.discard_request(args.request_id).await
    }

    async fn discard_request(&self, id: Uuid) -> Result<DiscardRequestRecord> {
        let filter = DiscardFilter {
            request_id: Some(id),
            ..DiscardFilter::default()
        };
        let found = self
            .store()
            .discard_requests(
                &filter,
                PageRequest {
                    page: 1,
                    per_page: 1,
                },
            )
            .await?;
        found
            .items
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal(&"discard request not found after writing it"))
    }

    pub async fn list_discard_requests(
        &self,
        token: Option<&str>,
        args: ListDiscardRequestsArgs,
    ) -> Result<Page<DiscardRequestRecord>> {
        let actor = self.actor_with(token, Permission::ReadSamples).await?;
        // Lab managers (and admins, for audits) see every request; others only their own,
        // except one tube's, which are part of its story.
        let requested_by = if actor.role.may(Permission::DecideDiscard)
            || actor.role == Role::Admin
            || args.sample_id.is_some()
        {
            args.requested_by
        } else {
            Some(actor.user_id)
        };
        let filter = DiscardFilter {
            state: args.state.map(|s| match s {
                DiscardRequestState::Pending => DiscardState::Pending,
                DiscardRequestState::Approved => DiscardState::Approved,
                DiscardRequestState::Rejected => DiscardState::Rejected,
            }),
            requested_by,
            sample_code: args.sample_code,
            sample_id: args.sample_id,
            request_id: None,
        };
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store().discard_requests(&filter, page).await?)
    }

    /// Receives tubes scanned at the bench, all or none: one command, one status change
    /// per tube through the state machine's receipt path, one audit row per tube. The
    /// caller holds the batch it sent; the answer is how many were received.
    pub async fn receive_samples(
        &self,
        token: Option<&str>,
        args: ReceiveSamplesArgs,
    ) -> Result<SamplesReceived> {
        let actor = self.actor_with(token, Permission::ProcessSamples).await?;
        let received = u32::try_from(args.sample_ids.len()).unwrap_or(u32::MAX);
        self.run(
            &actor,
            Command::ReceiveSamples {
                sample_ids: args.sample_ids,
            },
        )
        .await?;
        Ok(SamplesReceived { received })
    }

    /// What a code scanned at receiving is: a tube ready to receive, one already in the
    /// lab, one that should not be here, or nothing known; with what to do next.
    pub async fn check_receipt(
        &self,
        token: Option<&str>,
        args: CheckReceiptArgs,
    ) -> Result<ReceiptCandidate> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let code = args.code.trim().to_owned();
        Ok(match self.store().lookup_scan(&code).await? {
            Some(Scanned::Sample(s)) => {
                let sample = self.sample_view(*s);
                let check = ReceiptCheck::of(sample.status, sample.consent);
                ReceiptCandidate {
                    next_step: check.next_step(&sample.code),
                    joins_batch: check.joins_batch(),
                    check: Some(check),
                    sample: Some(sample),
                    code,
                }
            }
            Some(Scanned::Box(b)) => ReceiptCandidate {
                next_step: format!(
                    "{code} is the box “{}”, not a tube: scan the tubes you are receiving; \
                     place them in a box after receiving them",
                    b.name
                ),
                code,
                sample: None,
                check: None,
                joins_batch: false,
            },
            Some(Scanned::Participant(_) | Scanned::Plate(_)) | None => ReceiptCandidate {
                next_step: format!(
                    "{code} is not a tube known to this workstation: check the label, and set \
                     the tube aside for the lab manager if it was never registered"
                ),
                code,
                sample: None,
                check: None,
                joins_batch: false,
            },
        })
    }

    /// The receiving manifest: tubes collected or in transit, of one field event or all.
    pub async fn list_expected_tubes(
        &self,
        token: Option<&str>,
        args: ListExpectedTubesArgs,
    ) -> Result<Page<SampleView>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = self
            .store()
            .tubes_to_receive(
                args.event_id,
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?;
        Ok(crate::ops::map_page(page, |s| self.sample_view(s)))
    }

    /// Whatever was scanned: a sample (with or without its check character), a box, a
    /// participant, a plate's label.
    pub async fn lookup_scan(
        &self,
        token: Option<&str>,
        args: LookupScanArgs,
    ) -> Result<ScanLookup> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(match self.store().lookup_scan(&args.code).await? {
            Some(Scanned::Sample(s)) => ScanLookup::Sample {
                sample: Box::new(self.sample_view(*s)),
            },
            Some(Scanned::Box(b)) => ScanLookup::Box {
                storage_box: Box::new(*b),
            },
            Some(Scanned::Participant(p)) => ScanLookup::Participant {
                participant: Box::new(*p),
            },
            Some(Scanned::Plate(plate)) => ScanLookup::Plate { plate },
            None => ScanLookup::Unknown {
                code: args.code.trim().to_owned(),
            },
        })
    }

    pub async fn list_notifications(
        &self,
        token: Option<&str>,
        args: ListNotificationsArgs,
    ) -> Result<Page<NotificationRecord>> {
        let actor = self
            .actor_with(token, Permission::UseOwnNotifications)
            .await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .notifications(actor.user_id, args.unread_only, page)
            .await?)
    }

    pub async fn mark_notification_read(&self, token: Option<&str>, args: IdArgs) -> Result<()> {
        let actor = self
            .actor_with(token, Permission::UseOwnNotifications)
            .await?;
        self.run(
            &actor,
            Command::MarkNotificationRead {
                notification_id: args.id,
            },
        )
        .await?;
        self.emit(CoreEvent::NotificationsChanged);
        Ok(())
    }
}
