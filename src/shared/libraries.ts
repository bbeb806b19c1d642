import type * as Phone from 'libphonenumber-js';
import type * as Redis from 'redis';
import type * as Undici from 'undici';

// Loaded at first use rather than at every Node-RED start: the three were more than half of this package's load time
// (measured), and most installs never use Redis; undici is needed once a lead or a test request goes out.
let redis: typeof Redis | undefined;
let undici: typeof Undici | undefined;
let phone: typeof Phone | undefined;

/** The Redis client library, loaded when the first Redis store or alert storage is made. */
export function redisLibrary(): typeof Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (redis ??= require('redis') as typeof Redis);
}

/** undici, loaded when the first CRM account or test request needs it. */
export function undiciLibrary(): typeof Undici {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (undici ??= require('undici') as typeof Undici);
}

/** libphonenumber-js, loaded when the first phone number is mapped. */
export function phoneLibrary(): typeof Phone {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (phone ??= require('libphonenumber-js') as typeof Phone);
}
