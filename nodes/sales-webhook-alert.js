module.exports = require('../dist/nodes/sales-webhook-alert.js');
