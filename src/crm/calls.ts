import { scrub } from './errors';

/**
 * One request to a CRM for a lead and what came of it, as the delivery log's timeline shows it and the settlement
 * stores it (JSON, with the delivery): so it is small, and holds no secret and no other person's data.
 */
export interface CrmCallRecord {
  /** When the request went (epoch ms). */
  at: number;
  method: string;
  /** Origin and path only: a query may carry a token (Pipedrive's api_token). */
  url: string;
  /** This lead's part of the request body as JSON text, scrubbed and cut at a word's edge; absent without a body. */
  request?: string;
  /** How many leads shared the call (a batch); absent for one. */
  batch?: number;
  /** The CRM's HTTP status; absent when no answer came. */
  status?: number;
  /** The answer's start, scrubbed and cut at a word's edge; or, without an answer, what happened (timeout, refused). */
  answer?: string;
  /** How long the request took. */
  ms?: number;
  /** When the retry of this request was planned for, when one was. */
  retryAt?: number;
}

/** What a settlement keeps of a lead's calls: the last `count`, each text at most so many characters. */
export const CRM_CALL_LIMITS = { count: 6, requestChars: 600, answerChars: 300 } as const;

/** Ends of a word: a text cut at one never leaves part of an address or of a token behind. */
const WORD_EDGE = /[\s,;"'<>()[\]{}]/;

/**
 * Cuts a text to at most `max` characters at the last word's edge before it, so a cut never keeps the start of an
 * e-mail address (which erasure would no longer find) or of a secret; a text without an edge is dropped whole.
 */
export function cutAtWordEdge(text: string, max: number): string {
  if (text.length <= max) return text;
  for (let i = max; i > 0; i--) if (WORD_EDGE.test(text[i])) return `${text.slice(0, i)}…`;
  return '…';
}

/** A body or answer as stored: JSON text (objects compacted), scrubbed of every secret before it is cut. */
export function boundedText(value: unknown, max: number, secrets: Iterable<string | undefined>): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let text: string;
  if (typeof value === 'string') {
    // An answer is JSON text more often than not: compacted, more of it fits.
    try {
      text = JSON.stringify(JSON.parse(value));
    } catch {
      text = value.replace(/\s+/g, ' ').trim();
    }
  } else text = JSON.stringify(value) ?? '';
  // Only the start is kept: scrub that, with room for any form of a secret that starts inside it (an escaped form is
  // at most six times as long), not a batch's whole body.
  const list = [...secrets];
  const room = max + 6 * Math.max(0, ...list.map((secret) => secret?.length ?? 0)) + 16;
  return cutAtWordEdge(scrub(text.slice(0, room), list), max) || undefined;
}

/** A lead's calls as a settlement keeps them: the last CRM_CALL_LIMITS.count (the one that settled it is the last). */
export function keptCalls(calls: CrmCallRecord[]): CrmCallRecord[] {
  return calls.slice(-CRM_CALL_LIMITS.count);
}
