import type { Dispatcher } from 'undici';

/** A token server's or a CRM's answer is read up to this many bytes; a longer one is refused and its connection cut. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** An answer longer than MAX_ANSWER_BYTES: refused unread past the bound, its connection closed. */
export class AnswerTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the answer was longer than ${limitBytes} bytes`);
    this.name = 'AnswerTooLargeError';
  }
}

/**
 * The answer's text, read up to `limitBytes`. Past it (or when Content-Length already says so) the body is destroyed,
 * which makes undici close the socket instead of draining it: an endless answer costs at most the bound in memory.
 */
export async function readAnswer(res: Dispatcher.ResponseData, limitBytes = MAX_ANSWER_BYTES): Promise<string> {
  const declared = Number(res.headers['content-length']);
  if (declared > limitBytes) {
    res.body.destroy();
    throw new AnswerTooLargeError(limitBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) {
      res.body.destroy();
      throw new AnswerTooLargeError(limitBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The answer's media type, lower-case, without parameters: "application/json", "text/html", or "" when absent. */
export function mediaType(headers: Dispatcher.ResponseData['headers']): string {
  const raw = headers['content-type'];
  return String(Array.isArray(raw) ? raw[0] : (raw ?? ''))
    .split(';')[0]
    .trim()
    .toLowerCase();
}
