// Server errors in forms: which field they concern and what to show beside it.

import { ApiError, errorMessage } from '../api/client';

/** The server's message without its leading field name ("durationMinutes must be…" → "Must be…"). */
export function fieldMessage(err: ApiError): string {
  let text = err.message;
  if (err.field && text.startsWith(`${err.field} `)) {
    text = text.slice(err.field.length + 1);
  }
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export type FieldErrors = Record<string, string>;

/**
 * Splits a failure into an error beside one of `fields` (when the server named one of
 * them) or a general message for the top of the page.
 */
export function splitError(
  err: unknown,
  fields: readonly string[],
): { fieldErrors: FieldErrors; general: string | null } {
  if (err instanceof ApiError && err.isFieldError() && fields.includes(err.field)) {
    return { fieldErrors: { [err.field]: fieldMessage(err) }, general: null };
  }
  return { fieldErrors: {}, general: errorMessage(err) };
}
