module.exports = require('../dist/nodes/sales-webhook-redis.js');
