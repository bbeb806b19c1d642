// The editor dialog of sales-crm-out (Node-RED loads it from nodes/sales-crm-out.html; scripts/build.js serves it from resources/).
(function () {
  let mapsCache = null;
  RED.nodes.registerType('sales-crm out', {
    category: 'sales',
    color: '#E9967A',
    paletteLabel: 'crm out',
    defaults: {
      name: { value: '' },
      account: { value: '', type: 'sales-crm-account', required: true },
      fieldMap: {
        value: [],
        validate: function (rows) {
          return (
            Array.isArray(rows) &&
            rows.every(function (r) {
              return (
                r &&
                typeof r.crmField === 'string' &&
                r.crmField.trim() &&
                typeof r.leadField === 'string' &&
                r.leadField.trim()
              );
            })
          );
        },
      },
      externalIdField: { value: 'Email' },
      method: { value: 'POST' },
      url: { value: '' },
      version: { value: SalesWebhooksEditor.currentVersion('sales-crm out') },
    },
    inputs: 1,
    outputs: 2,
    outputLabels: function (i) {
      return this._(i === 0 ? 'sales-crm-out.label.outputSent' : 'sales-crm-out.label.outputFailed');
    },
    icon: 'sales-crm.svg',
    align: 'right',
    label: function () {
      return this.name || this._('sales-crm-out.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    oneditprepare: function () {
      const node = this;
      const config = SalesWebhooksEditor.migrateDialog(node, 'node-input');
      const $list = $('#node-input-fieldMap-container');
      $list
        .css('min-height', '150px')
        .css('min-width', '420px')
        .editableList({
          addItem: function (row, index, data) {
            $('<input type="text" class="sales-crm-out-crm" style="width: 45%">')
              .attr('placeholder', node._('sales-crm-out.placeholder.crmField'))
              .val(data.crmField || '')
              .appendTo(row);
            $('<span style="margin: 0 6px">←</span>').appendTo(row);
            $('<input type="text" class="sales-crm-out-lead" list="sales-crm-out-lead-fields" style="width: 45%">')
              .attr('placeholder', node._('sales-crm-out.placeholder.leadField'))
              .val(data.leadField || '')
              .appendTo(row);
          },
          sortable: true,
          removable: true,
        });
      config.fieldMap.forEach(function (r) {
        $list.editableList('addItem', r);
      });
      function system() {
        const account = RED.nodes.node($('#node-input-account').val());
        return account ? account.system : null;
      }
      function fillDefaults(force) {
        const current = system();
        if (!current) return;
        mapsCache = mapsCache || $.getJSON('sales-crm/field-maps');
        mapsCache.done(function (maps) {
          if (!force && $list.editableList('items').length > 0) return;
          $list.editableList('empty');
          (maps[current] || []).forEach(function (r) {
            $list.editableList('addItem', r);
          });
        });
      }
      function showSystemRows() {
        const current = system();
        $('.sales-crm-out-salesforce').toggle(current === 'salesforce' || current === 'zoho');
        $('.sales-crm-out-http').toggle(current === 'http');
        fillDefaults(false);
      }
      $('#node-input-account').on('change', showSystemRows);
      $('#sales-crm-out-defaults').on('click', function (e) {
        e.preventDefault();
        fillDefaults(true);
      });
      showSystemRows();
    },
    oneditsave: function () {
      const rows = [];
      $('#node-input-fieldMap-container')
        .editableList('items')
        .each(function () {
          const crmField = $(this).find('.sales-crm-out-crm').val().trim();
          const leadField = $(this).find('.sales-crm-out-lead').val().trim();
          if (crmField && leadField) rows.push({ crmField: crmField, leadField: leadField });
        });
      this.fieldMap = rows;
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
    oneditresize: function (size) {
      $('#node-input-fieldMap-container').editableList('height', Math.max(150, size.height - 260));
    },
  });
})();
