module.exports = require('../dist/nodes/sales-webhooks-log.js');
