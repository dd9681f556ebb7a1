/** Guards for JSON of unknown shape (engine answers, inspect files, manifests of any version). */

export type JsonObject = Record<string, unknown>;

/** A plain JSON object: not null, not an array. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value when it is a string, else null. */
export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** The value when it is a non-empty string, else null. */
export function nonEmptyOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
