module.exports = require('../dist/nodes/sales-crm-out.js');
