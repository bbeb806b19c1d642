import path from 'node:path';

/** One realistic body per documented event, `<provider>/<eventType>.json`; shipped with the package (see its README). */
export const SAMPLE_EVENTS_DIR = path.resolve(__dirname, '..', 'sample-events');

export function sampleEventFile(provider: string, eventType: string): string {
  return path.join(SAMPLE_EVENTS_DIR, provider, `${eventType}.json`);
}
