module.exports = require('../dist/nodes/sales-webhook-settle.js');
