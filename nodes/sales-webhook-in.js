module.exports = require('../dist/nodes/sales-webhook-in.js');
