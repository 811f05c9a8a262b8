// Hand-written placeholder in ts-rs style; replaced when shared/api exports its types.
export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;
