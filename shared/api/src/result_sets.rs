//! Operations for result sets produced elsewhere and the partner mappings (issue 16, item 7).

use crate::dto::{default_per_page, first_page};
use crate::runs::ListBySampleArgs;
use crate::{Api, ApiError};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::result_sets::{PartnerMapping, ResultSetFormat};
use aliquot_domain::{Command, Permission};
use aliquot_store::result_sets::{
    PartnerMappingRecord, ResultSetPreview, ResultSetRecord, SampleSetValue, SetValueFilter,
    SetValueRecord,
};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

/// A result-set file the user chose, as bytes.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ResultSetFileArgs {
    pub format: ResultSetFormat,
    /// The partner lab whose codes are mapped to the lab's tests; none for the lab's own.
    #[serde(default)]
    #[ts(optional)]
    pub partner: Option<String>,
    pub file_name: String,
    pub file_base64: String,
    /// The set's name; the file's name when not given.
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
}

/// What importing a result set did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[ts(export)]
pub enum ResultSetOutcome {
    Imported {
        set: ResultSetRecord,
    },
    /// The same file again: nothing changed.
    AlreadyImported {
        set_id: Uuid,
    },
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListResultSetsArgs {
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListSetValuesArgs {
    pub set_id: Uuid,
    #[serde(default)]
    #[ts(optional)]
    pub filter: Option<SetValueFilter>,
    /// Start of an analyte.
    #[serde(default)]
    #[ts(optional)]
    pub analyte: Option<String>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListPartnerMappingsArgs {
    #[serde(default)]
    #[ts(optional)]
    pub partner: Option<String>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SetPartnerMappingArgs {
    /// The mapping corrected; none for a new one.
    #[serde(default)]
    #[ts(optional)]
    pub mapping_id: Option<Uuid>,
    pub mapping: PartnerMapping,
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
}

fn bytes(args: &ResultSetFileArgs) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(args.file_base64.trim())
        .map_err(|_| ApiError::invalid("the file did not arrive whole; choose it again"))
}

impl Api {
    /// The file read as a result set and matched to the lab's tubes and tests; nothing
    /// changes.
    pub async fn preview_result_set(
        &self,
        token: Option<&str>,
        args: ResultSetFileArgs,
    ) -> Result<ResultSetPreview> {
        self.actor_with(token, Permission::RunInstruments).await?;
        let bytes = bytes(&args)?;
        Ok(self
            .store()
            .match_result_set(
                args.format,
                args.partner.as_deref(),
                &args.file_name,
                &bytes,
            )
            .await?
            .preview)
    }

    /// Every value of the file recorded as one set, in one command; the same file again does
    /// nothing and says so.
    pub async fn import_result_set(
        &self,
        token: Option<&str>,
        args: ResultSetFileArgs,
    ) -> Result<ResultSetOutcome> {
        let actor = self.actor_with(token, Permission::RunInstruments).await?;
        let bytes = bytes(&args)?;
        let matched = self
            .store()
            .match_result_set(
                args.format,
                args.partner.as_deref(),
                &args.file_name,
                &bytes,
            )
            .await?;
        if let Some(set_id) = matched.preview.already_imported {
            return Ok(ResultSetOutcome::AlreadyImported { set_id });
        }
        let set_id = Uuid::now_v7();
        let name = args
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or(matched.preview.file_name.as_str())
            .to_owned();
        self.run(
            &actor,
            Command::ImportResultSet {
                set_id,
                name,
                format: matched.preview.format,
                partner: matched.preview.partner.clone(),
                file_name: matched.preview.file_name.clone(),
                sha256: matched.preview.sha256.clone(),
                values: matched.values,
            },
        )
        .await?;
        let set = self.store().result_set(set_id).await?;
        Ok(ResultSetOutcome::Imported { set })
    }

    pub async fn list_result_sets(
        &self,
        token: Option<&str>,
        args: ListResultSetsArgs,
    ) -> Result<Page<ResultSetRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .result_sets(
                args.search.as_deref(),
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    pub async fn list_set_values(
        &self,
        token: Option<&str>,
        args: ListSetValuesArgs,
    ) -> Result<Page<SetValueRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .set_values(
                args.set_id,
                args.filter.unwrap_or(SetValueFilter::All),
                args.analyte.as_deref(),
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    pub async fn list_sample_set_values(
        &self,
        token: Option<&str>,
        args: ListBySampleArgs,
    ) -> Result<Page<SampleSetValue>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .sample_set_values(
                args.sample_id,
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    pub async fn list_partner_mappings(
        &self,
        token: Option<&str>,
        args: ListPartnerMappingsArgs,
    ) -> Result<Page<PartnerMappingRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self
            .store()
            .partner_mappings(
                args.partner.as_deref(),
                PageRequest {
                    page: args.page,
                    per_page: args.per_page,
                },
            )
            .await?)
    }

    pub async fn set_partner_mapping(
        &self,
        token: Option<&str>,
        args: SetPartnerMappingArgs,
    ) -> Result<PartnerMappingRecord> {
        let actor = self
            .actor_with(token, Permission::ManageInstruments)
            .await?;
        let mapping_id = args.mapping_id.unwrap_or_else(Uuid::now_v7);
        self.run(
            &actor,
            Command::SetPartnerMapping {
                mapping_id,
                mapping: args.mapping,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().partner_mapping(mapping_id).await?)
    }
}
