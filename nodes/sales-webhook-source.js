module.exports = require('../dist/nodes/sales-webhook-source.js');
