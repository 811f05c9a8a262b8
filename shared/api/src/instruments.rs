//! Operations for the lab's instruments and their control lots (issue 16).

use crate::dto::{default_per_page, first_page};
use crate::registration::IdArgs;
use crate::{Api, ApiError};
use aliquot_domain::instruments::{
    InstrumentDescription, InstrumentKind, InstrumentStatus, NewControlLot,
};
use aliquot_domain::paging::{Page, PageRequest};
use aliquot_domain::{Command, Permission};
use aliquot_store::instruments::{ControlLotRecord, InstrumentFilter, InstrumentRecord};
use serde::Deserialize;
use ts_rs::TS;
use uuid::Uuid;

type Result<T> = std::result::Result<T, ApiError>;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListInstrumentsArgs {
    /// Start of a name, model or serial number.
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub kind: Option<InstrumentKind>,
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<InstrumentStatus>,
    #[serde(default = "first_page")]
    pub page: u32,
    #[serde(default = "default_per_page")]
    pub per_page: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct RegisterInstrumentArgs {
    pub instrument: InstrumentDescription,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct EditInstrumentArgs {
    pub instrument_id: Uuid,
    pub instrument: InstrumentDescription,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SetInstrumentStatusArgs {
    pub instrument_id: Uuid,
    pub status: InstrumentStatus,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ListControlLotsArgs {
    pub instrument_id: Uuid,
    /// Retired lots too.
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
pub struct AddControlLotArgs {
    pub instrument_id: Uuid,
    pub lot: NewControlLot,
}

impl Api {
    pub async fn list_instruments(
        &self,
        token: Option<&str>,
        args: ListInstrumentsArgs,
    ) -> Result<Page<InstrumentRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let filter = InstrumentFilter {
            search: args.search,
            kind: args.kind,
            status: args.status,
        };
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self.store().instruments(&filter, page).await?)
    }

    pub async fn get_instrument(
        &self,
        token: Option<&str>,
        args: IdArgs,
    ) -> Result<InstrumentRecord> {
        self.actor_with(token, Permission::ReadSamples).await?;
        Ok(self.store().instrument(args.id).await?)
    }

    pub async fn register_instrument(
        &self,
        token: Option<&str>,
        args: RegisterInstrumentArgs,
    ) -> Result<InstrumentRecord> {
        let actor = self
            .actor_with(token, Permission::ManageInstruments)
            .await?;
        let instrument_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::RegisterInstrument {
                instrument_id,
                instrument: args.instrument,
            },
        )
        .await?;
        Ok(self.store().instrument(instrument_id).await?)
    }

    pub async fn edit_instrument(
        &self,
        token: Option<&str>,
        args: EditInstrumentArgs,
    ) -> Result<InstrumentRecord> {
        let actor = self
            .actor_with(token, Permission::ManageInstruments)
            .await?;
        self.run(
            &actor,
            Command::EditInstrument {
                instrument_id: args.instrument_id,
                instrument: args.instrument,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().instrument(args.instrument_id).await?)
    }

    pub async fn set_instrument_status(
        &self,
        token: Option<&str>,
        args: SetInstrumentStatusArgs,
    ) -> Result<InstrumentRecord> {
        let actor = self
            .actor_with(token, Permission::ManageInstruments)
            .await?;
        self.run(
            &actor,
            Command::SetInstrumentStatus {
                instrument_id: args.instrument_id,
                status: args.status,
                reason: args.reason,
            },
        )
        .await?;
        Ok(self.store().instrument(args.instrument_id).await?)
    }

    pub async fn list_control_lots(
        &self,
        token: Option<&str>,
        args: ListControlLotsArgs,
    ) -> Result<Page<ControlLotRecord>> {
        self.actor_with(token, Permission::ReadSamples).await?;
        let page = PageRequest {
            page: args.page,
            per_page: args.per_page,
        };
        Ok(self
            .store()
            .control_lots(
                args.instrument_id,
                args.include_retired.unwrap_or(false),
                page,
            )
            .await?)
    }

    pub async fn add_control_lot(
        &self,
        token: Option<&str>,
        args: AddControlLotArgs,
    ) -> Result<ControlLotRecord> {
        let actor = self
            .actor_with(token, Permission::ManageInstruments)
            .await?;
        let control_lot_id = Uuid::now_v7();
        self.run(
            &actor,
            Command::AddControlLot {
                control_lot_id,
                instrument_id: args.instrument_id,
                lot: args.lot,
            },
        )
        .await?;
        Ok(self.store().control_lot(control_lot_id).await?)
    }
}
