// The operations of shared/api (its `for_each_operation!` list in dispatch.rs) with their
// argument and result types. Calls go through `ApiClient.run`, so a misspelt operation or a
// wrong argument shape is a type error here rather than an error at the bench.

import type {
  AssignNumberBlockArgs,
  AuditEntryView,
  AuditVerification,
  BoxMap,
  BoxRecord,
  ChangePasswordArgs,
  ChangeRoleArgs,
  ChangeSettingArgs,
  CheckInParticipantArgs,
  CheckInSamplesArgs,
  CheckOutSamplesArgs,
  CreateAliquotsArgs,
  CreateBoxArgs,
  CreateFieldEventArgs,
  CreateFirstAdminArgs,
  CreateFreezerArgs,
  CreateKitTemplateArgs,
  CreateRackArgs,
  CreateSiteArgs,
  CreateUserArgs,
  DeactivateUserArgs,
  DecideDiscardArgs,
  DeviceListing,
  DeviceStatus,
  DiscardRequestRecord,
  EventSummary,
  FieldEventRecord,
  FreezerRecord,
  IdArgs,
  IssuePasswordResetArgs,
  KitRegistered,
  KitTemplateRecord,
  LabelPreviews,
  ListAuditArgs,
  ListBoxesArgs,
  ListDiscardRequestsArgs,
  ListFieldEventsArgs,
  ListNotificationsArgs,
  ListPrintJobsArgs,
  ListUsersArgs,
  LoginArgs,
  LookupScanArgs,
  MoveBoxArgs,
  NoArgs,
  NotificationRecord,
  NumberBlockView,
  Page,
  ParticipantRecord,
  PasswordResetIssued,
  PlaceSamplesArgs,
  PreviewLabelsArgs,
  PrintJobRecord,
  PrintLabelsArgs,
  PrinterSettings,
  RackRecord,
  RackScanArgs,
  RackScanDiff,
  RackScanImported,
  RecordConsentArgs,
  RedeemPasswordResetArgs,
  RegisterKitArgs,
  RegisterParticipantArgs,
  ReprintArgs,
  RequestDiscardArgs,
  SampleDetail,
  SampleView,
  ScanLookup,
  ScannerStatus,
  SearchParticipantsArgs,
  SessionView,
  Settings,
  SetupStatus,
  SiteRecord,
  TestPrintArgs,
  TransitionSampleArgs,
  UpdateSiteArgs,
  UserView,
  VoidStorageArgs,
  WhoAmI,
} from './types';

export interface Operations {
  setup_status: { args: NoArgs; result: SetupStatus };
  create_first_admin: { args: CreateFirstAdminArgs; result: UserView };
  login: { args: LoginArgs; result: SessionView };
  logout: { args: NoArgs; result: null };
  whoami: { args: NoArgs; result: WhoAmI };
  change_password: { args: ChangePasswordArgs; result: null };
  list_users: { args: ListUsersArgs; result: Page<UserView> };
  create_user: { args: CreateUserArgs; result: UserView };
  change_role: { args: ChangeRoleArgs; result: UserView };
  deactivate_user: { args: DeactivateUserArgs; result: null };
  issue_password_reset: { args: IssuePasswordResetArgs; result: PasswordResetIssued };
  redeem_password_reset: { args: RedeemPasswordResetArgs; result: null };
  get_settings: { args: NoArgs; result: Settings };
  change_setting: { args: ChangeSettingArgs; result: Settings };
  list_audit: { args: ListAuditArgs; result: Page<AuditEntryView> };
  verify_audit: { args: NoArgs; result: AuditVerification };
  device_status: { args: NoArgs; result: DeviceStatus };
  list_sites: { args: NoArgs; result: Array<SiteRecord> };
  create_site: { args: CreateSiteArgs; result: SiteRecord };
  update_site: { args: UpdateSiteArgs; result: SiteRecord };
  list_number_blocks: { args: NoArgs; result: Array<NumberBlockView> };
  assign_number_block: { args: AssignNumberBlockArgs; result: NumberBlockView };
  register_participant: { args: RegisterParticipantArgs; result: ParticipantRecord };
  record_consent: { args: RecordConsentArgs; result: ParticipantRecord };
  search_participants: { args: SearchParticipantsArgs; result: Page<ParticipantRecord> };
  get_participant: { args: IdArgs; result: ParticipantRecord };
  list_field_events: { args: ListFieldEventsArgs; result: Page<FieldEventRecord> };
  create_field_event: { args: CreateFieldEventArgs; result: FieldEventRecord };
  check_in_participant: { args: CheckInParticipantArgs; result: EventSummary };
  event_summary: { args: IdArgs; result: EventSummary };
  list_kit_templates: { args: NoArgs; result: Array<KitTemplateRecord> };
  create_kit_template: { args: CreateKitTemplateArgs; result: KitTemplateRecord };
  register_kit: { args: RegisterKitArgs; result: KitRegistered };
  get_sample: { args: IdArgs; result: SampleDetail };
  participant_samples: { args: IdArgs; result: Array<SampleView> };
  transition_sample: { args: TransitionSampleArgs; result: SampleView };
  create_aliquots: { args: CreateAliquotsArgs; result: Array<SampleView> };
  request_discard: { args: RequestDiscardArgs; result: DiscardRequestRecord };
  decide_discard: { args: DecideDiscardArgs; result: DiscardRequestRecord };
  list_discard_requests: { args: ListDiscardRequestsArgs; result: Page<DiscardRequestRecord> };
  lookup_scan: { args: LookupScanArgs; result: ScanLookup };
  list_notifications: { args: ListNotificationsArgs; result: Page<NotificationRecord> };
  mark_notification_read: { args: IdArgs; result: null };
  list_freezers: { args: NoArgs; result: Array<FreezerRecord> };
  list_racks: { args: IdArgs; result: Array<RackRecord> };
  create_freezer: { args: CreateFreezerArgs; result: FreezerRecord };
  create_rack: { args: CreateRackArgs; result: RackRecord };
  create_box: { args: CreateBoxArgs; result: BoxRecord };
  move_box: { args: MoveBoxArgs; result: BoxRecord };
  void_storage: { args: VoidStorageArgs; result: null };
  list_boxes: { args: ListBoxesArgs; result: Page<BoxRecord> };
  get_box: { args: IdArgs; result: BoxMap };
  place_samples: { args: PlaceSamplesArgs; result: BoxMap };
  check_out_samples: { args: CheckOutSamplesArgs; result: null };
  check_in_samples: { args: CheckInSamplesArgs; result: null };
  preview_rack_scan: { args: RackScanArgs; result: RackScanDiff };
  import_rack_scan: { args: RackScanArgs; result: RackScanImported };
  list_printers: { args: NoArgs; result: Array<PrinterSettings> };
  configure_printer: { args: PrinterSettings; result: Array<PrinterSettings> };
  list_print_jobs: { args: ListPrintJobsArgs; result: Page<PrintJobRecord> };
  reprint: { args: ReprintArgs; result: PrintJobRecord };
  test_print: { args: TestPrintArgs; result: PrintJobRecord };
  print_labels: { args: PrintLabelsArgs; result: PrintJobRecord };
  preview_labels: { args: PreviewLabelsArgs; result: LabelPreviews };
  list_devices: { args: NoArgs; result: Array<DeviceListing> };
  scanner_status: { args: NoArgs; result: ScannerStatus };
}

export type OperationName = keyof Operations;
export type ArgsOf<K extends OperationName> = Operations[K]['args'];
export type ResultOf<K extends OperationName> = Operations[K]['result'];
