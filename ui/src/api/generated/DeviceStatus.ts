// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type DeviceStatus = { device_id: string, outbox_pending: number, lab_name: string, };
