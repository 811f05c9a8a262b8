// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
import type { JsonValue } from "./serde_json/JsonValue";

export type AuditEntryView = { seq: number, at: string, actor_name: string, action: string, entity_type: string, entity_id: string, old_value: JsonValue | null, new_value: JsonValue | null, reason: string | null, };
