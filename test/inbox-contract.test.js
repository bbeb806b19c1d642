'use strict';
// One contract, three stores: the memory store (inbox off), the embedded SQLite file and Redis (real redis-server).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { MemoryInboxStore } = require('../dist/inbox/memory');
const { SqliteInboxStore } = require('../dist/inbox/sqlite');
const { describeStoreContract } = require('./support/inbox-contract');
const { startRedisServer } = require('./support/redis-server');

describeStoreContract('memory', {
  open: async () => new MemoryInboxStore(),
});

let dir;
describeStoreContract('SQLite', {
  before: () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inbox-contract-'));
  },
  after: () => fs.rmSync(dir, { recursive: true, force: true }),
  open: async () => {
    const store = new SqliteInboxStore(fs.mkdtempSync(path.join(dir, 'db-')) + '/sales-webhooks.db');
    await store.ready();
    return store;
  },
});

let server;
let prefixes = 0;
describeStoreContract('Redis', {
  before: async (context) => {
    server = await startRedisServer(context);
  },
  after: () => server?.remove(),
  open: async () => {
    const { RedisInboxStore } = require('../dist/inbox/redis');
    const store = new RedisInboxStore({ url: server.url, prefix: `contract${++prefixes}`, consumer: 'a' });
    await store.ready();
    return store;
  },
});
