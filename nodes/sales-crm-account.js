module.exports = require('../dist/nodes/sales-crm-account.js');
