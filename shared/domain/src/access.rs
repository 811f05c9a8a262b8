//! Roles and the role-permission matrix: the one place that says who may do what.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    Admin,
    LabManager,
    Technician,
    FieldCoordinator,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::LabManager,
        Role::Technician,
        Role::FieldCoordinator,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::LabManager => "lab_manager",
            Role::Technician => "technician",
            Role::FieldCoordinator => "field_coordinator",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The role-permission matrix. Exhaustive on both enums so a new permission cannot be
    /// added without deciding it for every role.
    /// Every permission this role has, from the one matrix [`Role::may`]: what `whoami`
    /// tells the UI, so the UI never keeps a copy of the matrix.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL
            .into_iter()
            .filter(|p| self.may(*p))
            .collect()
    }

    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            // Every signed-in user may look after their own account and read what is shared.
            ChangeOwnPassword | ReadSettings | ReadSamples | UseOwnNotifications => true,
            ManageUsers | ResetPasswords | ManageNumberBlocks => self == Role::Admin,
            ChangeSettings | ReadUsers | ReadAudit | ManageSites | ManageKitTemplates
            | ManageStorage | ManageInstruments => matches!(self, Role::Admin | Role::LabManager),
            ManageFieldEvents => matches!(self, Role::LabManager | Role::FieldCoordinator),
            RegisterParticipants | RegisterSamples => matches!(
                self,
                Role::LabManager | Role::Technician | Role::FieldCoordinator
            ),
            ProcessSamples | PlaceSamples | RequestDiscard | RunInstruments => {
                matches!(self, Role::LabManager | Role::Technician)
            }
            DecideDiscard | DecideRuns => self == Role::LabManager,
            ConfigureDevices => matches!(self, Role::Admin | Role::LabManager),
            PrintLabels => matches!(
                self,
                Role::LabManager | Role::Technician | Role::FieldCoordinator
            ),
        }
    }
}

/// Everything a role can be allowed to do. Commands and read operations each name one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Permission {
    ChangeOwnPassword,
    ReadSettings,
    ChangeSettings,
    ManageUsers,
    ReadUsers,
    ResetPasswords,
    ReadAudit,
    ManageSites,
    ManageNumberBlocks,
    RegisterParticipants,
    ManageFieldEvents,
    ManageKitTemplates,
    RegisterSamples,
    ProcessSamples,
    ManageStorage,
    PlaceSamples,
    RequestDiscard,
    DecideDiscard,
    ReadSamples,
    UseOwnNotifications,
    ConfigureDevices,
    PrintLabels,
    /// The lab's instruments, their control lots and result formats.
    ManageInstruments,
    /// Runs on instruments: plates filled, result files imported.
    RunInstruments,
    /// Releasing or repeating a run QC held.
    DecideRuns,
}

impl Permission {
    pub const ALL: [Permission; 25] = [
        Permission::ChangeOwnPassword,
        Permission::ReadSettings,
        Permission::ChangeSettings,
        Permission::ManageUsers,
        Permission::ReadUsers,
        Permission::ResetPasswords,
        Permission::ReadAudit,
        Permission::ManageSites,
        Permission::ManageNumberBlocks,
        Permission::RegisterParticipants,
        Permission::ManageFieldEvents,
        Permission::ManageKitTemplates,
        Permission::RegisterSamples,
        Permission::ProcessSamples,
        Permission::ManageStorage,
        Permission::PlaceSamples,
        Permission::RequestDiscard,
        Permission::DecideDiscard,
        Permission::ReadSamples,
        Permission::UseOwnNotifications,
        Permission::ConfigureDevices,
        Permission::PrintLabels,
        Permission::ManageInstruments,
        Permission::RunInstruments,
        Permission::DecideRuns,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Role::Admin, Permission::ManageUsers, true)]
    #[case(Role::LabManager, Permission::ManageUsers, false)]
    #[case(Role::Technician, Permission::ManageUsers, false)]
    #[case(Role::Admin, Permission::ResetPasswords, true)]
    #[case(Role::LabManager, Permission::ResetPasswords, false)]
    #[case(Role::Admin, Permission::ChangeSettings, true)]
    #[case(Role::FieldCoordinator, Permission::ChangeSettings, false)]
    #[case(Role::LabManager, Permission::ChangeSettings, true)]
    #[case(Role::LabManager, Permission::ReadAudit, true)]
    #[case(Role::Technician, Permission::ReadAudit, false)]
    #[case(Role::Viewer, Permission::ReadUsers, false)]
    #[case(Role::Viewer, Permission::ChangeOwnPassword, true)]
    #[case(Role::Viewer, Permission::ReadSettings, true)]
    #[case(Role::Viewer, Permission::ReadSamples, true)]
    #[case(Role::Viewer, Permission::PlaceSamples, false)]
    #[case(Role::Technician, Permission::PlaceSamples, true)]
    #[case(Role::Technician, Permission::DecideDiscard, false)]
    #[case(Role::LabManager, Permission::DecideDiscard, true)]
    #[case(Role::Admin, Permission::DecideDiscard, false)]
    #[case(Role::FieldCoordinator, Permission::RegisterSamples, true)]
    #[case(Role::FieldCoordinator, Permission::ProcessSamples, false)]
    #[case(Role::Admin, Permission::ManageNumberBlocks, true)]
    #[case(Role::LabManager, Permission::ManageNumberBlocks, false)]
    fn role_matrix(#[case] role: Role, #[case] permission: Permission, #[case] allowed: bool) {
        assert_eq!(role.may(permission), allowed);
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
