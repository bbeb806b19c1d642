/**
 * What a sender is answered: the status, the JSON text and any extra headers (Allow, Retry-After, Connection). Text,
 * not bytes: Node joins a text body to the headers (one chunk fewer in the socket write).
 */
export interface Answer {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
}

/** What the platform is answered (status 200) for a stored delivery, and for one stored with schema issues. */
export const ACCEPTED_ANSWERS = { accepted: '{"received":true}', invalid: '{"received":true,"valid":false}' };
/** How long a sender should wait before retrying after the inbox could not write. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 30;

/** The answers every delivery gets, made once. */
export const RECEIVED: Answer = { statusCode: 200, body: ACCEPTED_ANSWERS.accepted };
export const RECEIVED_INVALID: Answer = { statusCode: 200, body: ACCEPTED_ANSWERS.invalid };
export const RECEIVED_DUPLICATE: Answer = { statusCode: 200, body: '{"received":true,"duplicate":true}' };

/** A refusal: `{"error": reason}` with its status. */
export function errorAnswer(statusCode: number, reason: string, headers?: Record<string, string>): Answer {
  return { statusCode, body: JSON.stringify({ error: reason }), headers };
}
