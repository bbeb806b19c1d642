/**
 * Development secrets of the demo (`npm start`) and the test-event sender, each overridable by its environment
 * variable. They only ever protect a local demo; real secrets come from the platforms and live in credentials.
 */
export const DEMO_SECRETS: Record<string, { env: string; value: string; credential: 'secret' | 'token' }> = {
  salescaling: { env: 'SALESCALING_TOKEN', value: 'dev-salescaling-token-change-me', credential: 'token' },
  salesmagic: {
    env: 'SALESMAGIC_SECRET',
    value: 'whsec_ZGV2LXNhbGVzbWFnaWMtc2VjcmV0LWNoYW5nZS1tZQ==',
    credential: 'secret',
  },
  recorder: { env: 'RECORDER_SECRET', value: 'dev-recorder-secret-change-me', credential: 'secret' },
  saleassist: { env: 'SALEASSIST_TOKEN', value: 'dev-saleassist-token-change-me', credential: 'token' },
  callcall: { env: 'CALLCALL_SECRET', value: 'dev-callcall-secret-change-me', credential: 'secret' },
};

export function demoSecret(provider: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const entry = DEMO_SECRETS[provider];
  return entry ? env[entry.env] || entry.value : undefined;
}
