import { parseArgs } from 'node:util';
import { request } from 'undici';
import { getProvider, listProviders } from '../providers/registry';
import { demoBaseUrl } from './demoAddress';
import { demoSecret, DEMO_SECRETS } from './demoSecrets';
import { buildTestDelivery, testEventTypes } from './testEvent';

const USAGE = `Usage: sales-webhooks send <provider> [event] [options]
       sales-webhooks list

Posts the example of a platform's event, signed exactly as that platform signs it.

Options:
  --url <url>            where to post (default http://$HOST:$PORT/webhooks/<provider>, as npm start listens;
                         HOST 127.0.0.1 and PORT 1880 unless set)
  --secret <secret>      signing secret (default: $<PROVIDER>_SECRET or the demo's development secret)
  --token <token>        shared token for salescaling, saleassist, header-token
  --header-name <name>   the token header (default x-webhook-token)
  --tamper               send a forged copy: the receiver should answer 401
  --same                 send the example byte for byte (a second send is then a duplicate)
  -h, --help             this text`;

type Out = (line: string) => void;

function list(out: Out): number {
  for (const profile of listProviders()) {
    const types = testEventTypes(profile);
    if (types.length) out(`${profile.id.padEnd(12)} ${types.join(', ')}`);
  }
  return 0;
}

export async function main(
  argv: string[],
  out: Out = console.log,
  err: Out = console.error,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        secret: { type: 'string' },
        token: { type: 'string' },
        'header-name': { type: 'string' },
        tamper: { type: 'boolean', default: false },
        same: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, providerId, eventArg] = positionals;
  if (values.help || !command) {
    out(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === 'list') return list(out);
  if (command !== 'send' || !providerId) {
    err(USAGE);
    return 2;
  }

  const profile = getProvider(providerId);
  if (!profile) {
    err(
      `Unknown provider "${providerId}". Known: ${listProviders()
        .map((p) => p.id)
        .join(', ')}`,
    );
    return 2;
  }
  const types = testEventTypes(profile);
  // Without an event named, send one that the demo turns into a lead.
  const eventType = eventArg ?? types.find((t) => t in profile.leadPresets) ?? types[0];
  if (!eventType || !types.includes(eventType)) {
    err(`No example for "${eventArg ?? ''}". ${profile.id} has: ${types.join(', ') || 'none'}`);
    return 2;
  }
  let scheme = profile.verification;
  if (scheme.kind === 'header-token' && values['header-name'])
    scheme = { ...scheme, headerName: values['header-name'].toLowerCase() };
  const secret =
    (scheme.kind === 'header-token' ? (values.token ?? values.secret) : (values.secret ?? values.token)) ??
    demoSecret(profile.id, env);
  if (!secret && scheme.kind !== 'none') {
    err(
      `Give the ${scheme.kind === 'header-token' ? 'token (--token)' : 'signing secret (--secret)'} the receiving node is configured with.`,
    );
    return 2;
  }
  const url = values.url ?? `${demoBaseUrl(env)}/webhooks/${profile.id}`;
  const { body, headers } = buildTestDelivery(profile, scheme, eventType, secret ?? '', {
    tamper: values.tamper,
    same: values.same,
  });
  let res;
  try {
    res = await request(url, { method: 'POST', body, headers });
  } catch (e) {
    err(`Could not reach ${url}: ${(e as Error).message}. Is Node-RED running (npm start)?`);
    return 1;
  }
  const text = await res.body.text();
  out(`${values.tamper ? 'forged ' : ''}${profile.id} ${eventType} → ${url}`);
  out(`${res.statusCode} ${text}`);
  if (values.tamper) {
    if (res.statusCode === 401) {
      out(
        `Rejected as it should be: the forged copy's ${scheme.kind === 'header-token' ? 'token' : 'signature'} did not match.`,
      );
      return 0;
    }
    err('The forged copy was not rejected: is the receiving node verifying signatures?');
    return 1;
  }
  if (res.statusCode >= 200 && res.statusCode < 300) return 0;
  if (res.statusCode === 401) {
    err(
      `401: the receiver's ${scheme.kind === 'header-token' ? 'token' : 'secret'} differs from the one used here. Pass --${scheme.kind === 'header-token' ? 'token' : 'secret'} or set ${DEMO_SECRETS[profile.id]?.env ?? 'the secret'}.`,
    );
    err('For the demo: after changing that variable, restart with `npm start -- --reset` so the receiver uses it too.');
  }
  return 1;
}
