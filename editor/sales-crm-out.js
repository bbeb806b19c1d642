// The editor dialog of sales-crm-out (Node-RED loads it from nodes/sales-crm-out.html; scripts/build.js serves it from resources/).
(function () {
  const FACTS = SalesWebhooksEditor.facts;
  const ERROR_COLOR = 'var(--red-ui-text-color-error, #c00)';
  const QUIET_COLOR = 'var(--red-ui-secondary-text-color, #888)';
  let mapsCache = null;

  /** What a lead field holds (string, number, list, date); a custom or unknown path may hold anything. */
  function leadType(leadField) {
    return FACTS.crmDialogs.leadFieldTypes[leadField] || FACTS.crmDialogs.anyLeadType;
  }
  /** Whether the lead field can fill a CRM field that accepts `accepts` (unknown CRM fields accept anything). */
  function fits(leadField, accepts) {
    const allowed = FACTS.crmDialogs.fillableBy[accepts || FACTS.crmDialogs.anyLeadType];
    return !allowed || allowed.indexOf(leadType(leadField)) !== -1;
  }
  function mismatchText(node, row) {
    return node._('sales-crm-out.errors.cannot-fill', {
      lead: row.leadField,
      leadType: leadType(row.leadField),
      crm: row.crmField,
      accepts: row.accepts,
    });
  }
  /** A name without case or separators: Last_Name, LastName and lastname are one. */
  function plainName(name) {
    return String(name)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  }
  /** The lead field named like a CRM field (Email, LastName, Last_Name), or '' for the person to choose. */
  function sameNamedLeadField(crmField) {
    const found = Object.keys(FACTS.crmDialogs.leadFieldTypes).filter(function (field) {
      return plainName(field) === plainName(crmField);
    });
    return found.length === 1 ? found[0] : '';
  }
  function readRows() {
    const rows = [];
    $('#node-input-fieldMap-container')
      .editableList('items')
      .each(function () {
        const crmField = $(this).find('.sales-crm-out-crm').val().trim();
        const leadField = $(this).find('.sales-crm-out-lead').val().trim();
        const accepts = $(this).data('accepts');
        if (!crmField || !leadField) return;
        const row = { crmField: crmField, leadField: leadField };
        // The CRM field's kind is kept with the row so the node's validate can flag a mismatch without asking the CRM.
        if (accepts && accepts !== 'any') row.accepts = accepts;
        rows.push(row);
      });
    return rows;
  }

  RED.nodes.registerType('sales-crm out', {
    category: 'sales',
    color: '#E9967A',
    paletteLabel: 'crm out',
    defaults: {
      name: { value: '' },
      account: { value: '', type: 'sales-crm-account', required: true },
      fieldMap: {
        value: [],
        validate: function (rows, _options) {
          const node = this;
          if (!Array.isArray(rows)) return false;
          for (let i = 0; i < rows.length; i++) {
            const r = rows[i];
            if (!r || typeof r.crmField !== 'string' || !r.crmField.trim()) return false;
            if (typeof r.leadField !== 'string' || !r.leadField.trim()) return false;
            if (r.accepts && !fits(r.leadField, r.accepts)) return mismatchText(node, r);
          }
          return true;
        },
      },
      externalIdField: { value: FACTS.crmDialogs.defaultExternalIdField },
      method: { value: FACTS.crmDialogs.httpApiMethods[0] },
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
      /** The account's fields by name, once read through the deployed account; empty while unknown. */
      let crmFields = {};
      let fieldsRequest = null;
      let fieldsFor = null;

      const $method = $('#node-input-method').empty();
      FACTS.crmDialogs.httpApiMethods.forEach(function (method) {
        $('<option>').val(method).text(method).appendTo($method);
      });
      $method.val(node.method || FACTS.crmDialogs.httpApiMethods[0]);

      // The lead's own fields (and their types) come from the runtime's lead schema.
      const $leadFields = $('#sales-crm-out-lead-fields').empty();
      Object.keys(FACTS.crmDialogs.leadFieldTypes).forEach(function (field) {
        $('<option>').val(field).text(leadType(field)).appendTo($leadFields);
      });

      /** Label (where it says more than the name, as for Pipedrive's hash keys), type, required, custom. */
      function describeField(field) {
        const parts = plainName(field.label) === plainName(field.name) ? [] : [field.label];
        parts.push(field.type);
        if (field.required) parts.push(node._('sales-crm-out.fields.required'));
        if (field.custom) parts.push(node._('sales-crm-out.fields.custom'));
        return parts.join(' · ');
      }
      /** The row's CRM field as the account describes it: type and required beside it, a mismatch under it. */
      function checkRow($row) {
        const crmField = $row.find('.sales-crm-out-crm').val().trim();
        const leadField = $row.find('.sales-crm-out-lead').val().trim();
        const known = crmFields[crmField];
        if (known) $row.data('accepts', known.accepts);
        else if (Object.keys(crmFields).length > 0) $row.removeData('accepts');
        const accepts = $row.data('accepts');
        // A name the account did not list: a typo, a read-only field, or one the account may not see.
        const unlisted = !known && crmField && Object.keys(crmFields).length > 0;
        $row
          .find('.sales-crm-out-type')
          .text(known ? describeField(known) : unlisted ? node._('sales-crm-out.fields.unlisted') : '')
          .attr('title', known ? known.label : '')
          .toggleClass('sales-crm-out-required', !!(known && known.required));
        const problem = leadField && accepts && !fits(leadField, accepts);
        $row
          .find('.sales-crm-out-problem')
          .text(problem ? mismatchText(node, { crmField: crmField, leadField: leadField, accepts: accepts }) : '')
          .toggle(!!problem);
        $row.find('.sales-crm-out-lead').toggleClass('input-error', !!problem);
      }
      function checkAll() {
        $list.editableList('items').each(function () {
          checkRow($(this));
        });
        showUnmappedRequired();
      }

      const $list = $('#node-input-fieldMap-container');
      $list
        .css('min-height', '150px')
        .css('min-width', '420px')
        .editableList({
          // Rows are added while the dialog opens: scrolling to each would leave the list past its first rows.
          scrollOnAdd: false,
          addItem: function (row, index, data) {
            const $row = $('<div class="sales-crm-out-row">').appendTo(row);
            if (data.accepts) row.data('accepts', data.accepts);
            $('<input type="text" class="sales-crm-out-crm" list="sales-crm-out-crm-fields" autocomplete="off">')
              .attr('placeholder', node._('sales-crm-out.placeholder.crmField'))
              .val(data.crmField || '')
              .appendTo($row);
            $('<span class="sales-crm-out-arrow">←</span>').appendTo($row);
            $('<input type="text" class="sales-crm-out-lead" list="sales-crm-out-lead-fields" autocomplete="off">')
              .attr('placeholder', node._('sales-crm-out.placeholder.leadField'))
              .val(data.leadField || '')
              .appendTo($row);
            $('<div class="sales-crm-out-type">').appendTo($row);
            $('<div class="sales-crm-out-problem">').css('color', ERROR_COLOR).hide().appendTo($row);
            $row.find('input').on('change input', function () {
              checkRow(row);
              showUnmappedRequired();
            });
            checkRow(row);
          },
          removeItem: function () {
            showUnmappedRequired();
          },
          sortable: true,
          removable: true,
        });
      config.fieldMap.forEach(function (r) {
        $list.editableList('addItem', r);
      });

      function accountNode() {
        return RED.nodes.node($('#node-input-account').val());
      }
      function system() {
        const account = accountNode();
        return account ? account.system : null;
      }
      function setState(text, color) {
        $('#sales-crm-out-fields-state')
          .text(text || '')
          .css('color', color || QUIET_COLOR)
          .toggle(!!text);
      }
      /** Why the runtime cannot speak for this account yet (it must be deployed as the dialog shows it), or null. */
      function notDeployed(account) {
        if (!account) return node._('sales-crm-out.fields.no-account');
        if (account.changed)
          return node._('sales-crm-out.fields.deploy-first', { account: account.name || account.id });
        return null;
      }
      function showUnmappedRequired() {
        // A row with the CRM field and its lead field still to choose counts: the person is filling it in.
        const mapped = {};
        $list.editableList('items').each(function () {
          mapped[$(this).find('.sales-crm-out-crm').val().trim()] = true;
        });
        const missing = Object.keys(crmFields).filter(function (name) {
          return crmFields[name].required && !mapped[name];
        });
        const $missing = $('#sales-crm-out-required')
          .empty()
          .toggle(missing.length > 0);
        if (!missing.length) return;
        $('<span>')
          .text(node._('sales-crm-out.fields.unmapped-required', { fields: missing.join(', ') }))
          .appendTo($missing);
        $('<a href="#" class="red-ui-button red-ui-button-small" style="margin-left: 6px">')
          .text(node._('sales-crm-out.fields.add-required'))
          .on('click', function (e) {
            e.preventDefault();
            missing.forEach(function (name) {
              $list.editableList('addItem', {
                crmField: name,
                leadField: sameNamedLeadField(name),
                accepts: crmFields[name].accepts,
              });
            });
            showUnmappedRequired();
          })
          .appendTo($missing);
      }
      /** Reads the account's fields through the runtime; every outcome leaves the CRM column free to type in. */
      function loadFields() {
        const account = accountNode();
        // Node-RED announces the account's select more than once while the dialog opens: read each account once.
        if (account && account.id === fieldsFor) return;
        fieldsFor = account ? account.id : null;
        crmFields = {};
        $('#sales-crm-out-crm-fields').empty();
        if (fieldsRequest) fieldsRequest.abort();
        fieldsRequest = null;
        const blocked = notDeployed(account);
        if (blocked || account.system === 'http') {
          setState(account && account.system === 'http' ? node._('sales-crm-out.fields.http') : blocked);
          return checkAll();
        }
        setState(node._('sales-crm-out.fields.loading', { account: account.name || account.id }));
        const request = $.getJSON('sales-crm-account/' + encodeURIComponent(account.id) + '/fields');
        fieldsRequest = request;
        request
          .done(function (answer) {
            if (fieldsRequest !== request) return;
            const $options = $('#sales-crm-out-crm-fields');
            answer.fields.forEach(function (field) {
              if (field.writable === false) return;
              crmFields[field.name] = field;
              $('<option>').val(field.name).text(describeField(field)).appendTo($options);
            });
            setState(
              node._('sales-crm-out.fields.loaded', {
                count: Object.keys(crmFields).length,
                object: answer.object,
              }),
            );
            checkAll();
          })
          .fail(function (xhr) {
            if (fieldsRequest !== request || xhr.statusText === 'abort') return;
            const reason = (xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText;
            // 404: the runtime has no such account (added in this editor, not deployed yet).
            if (xhr.status === 404)
              setState(node._('sales-crm-out.fields.deploy-first', { account: account.name || account.id }));
            else setState(node._('sales-crm-out.fields.failed', { reason: reason }), ERROR_COLOR);
            checkAll();
          });
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
          checkAll();
        });
      }
      function onAccountChange() {
        const current = system();
        $('.sales-crm-out-salesforce').toggle(current === 'salesforce' || current === 'zoho');
        $('.sales-crm-out-http').toggle(current === 'http');
        fillDefaults(false);
        loadFields();
        $('#sales-crm-out-test-result').hide();
      }
      $('#node-input-account').on('change', onAccountChange);
      $('#sales-crm-out-defaults').on('click', function (e) {
        e.preventDefault();
        fillDefaults(true);
      });
      onAccountChange();

      // Send test lead: the runtime builds the request this node would send for its sample lead with the dialog's
      // field map, shows it with every secret replaced, and sends it only when asked.
      function showExchange($pre, exchange) {
        const lines = [exchange.method + ' ' + exchange.url];
        Object.keys(exchange.headers || {}).forEach(function (name) {
          lines.push(name + ': ' + exchange.headers[name]);
        });
        if (exchange.body !== undefined) lines.push('', JSON.stringify(exchange.body, null, 2));
        $pre.text(lines.join('\n'));
      }
      function testLead(send) {
        const account = accountNode();
        $('#sales-crm-out-test-result').show();
        const $message = $('#sales-crm-out-test-message').css('color', QUIET_COLOR);
        const blocked = notDeployed(account);
        if (blocked) {
          $('#sales-crm-out-test-requests, #sales-crm-out-test-answers, #sales-crm-out-test-send').hide();
          return $message.css('color', ERROR_COLOR).text(blocked);
        }
        $message.text(node._(send ? 'sales-crm-out.test.sending' : 'sales-crm-out.test.building'));
        $.ajax({
          url: 'sales-crm-out/' + encodeURIComponent(node.id) + '/test-lead',
          type: 'POST',
          contentType: 'application/json',
          data: JSON.stringify({
            send: send,
            account: account.id,
            fieldMap: readRows(),
            externalIdField: $('#node-input-externalIdField').val(),
            method: $('#node-input-method').val(),
            url: $('#node-input-url').val(),
          }),
        })
          .done(function (answer) {
            const $requests = $('#sales-crm-out-test-requests').empty().show();
            answer.requests.forEach(function (exchange) {
              $('<div>').text(node._('sales-crm-out.test.request')).appendTo($requests);
              showExchange($('<pre class="sales-crm-out-request">').appendTo($requests), exchange);
            });
            const $answers = $('#sales-crm-out-test-answers').empty().toggle(!!answer.sent);
            $('#sales-crm-out-test-send').toggle(!answer.sent);
            if (!answer.sent) return $message.text(node._('sales-crm-out.test.preview'));
            (answer.answers || []).forEach(function (a) {
              $('<div>')
                .text(node._('sales-crm-out.test.answered', { status: a.status }))
                .appendTo($answers);
              $('<pre class="sales-crm-out-answer">')
                .text(typeof a.body === 'string' ? a.body : JSON.stringify(a.body, null, 2))
                .appendTo($answers);
            });
            $message
              .css('color', answer.ok ? 'var(--red-ui-text-color-success, #3a3)' : ERROR_COLOR)
              .text((answer.ok ? '✔ ' : '✘ ') + answer.message);
          })
          .fail(function (xhr) {
            $('#sales-crm-out-test-requests, #sales-crm-out-test-answers, #sales-crm-out-test-send').hide();
            $message
              .css('color', ERROR_COLOR)
              .text('✘ ' + ((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText));
          });
      }
      $('#sales-crm-out-test').on('click', function (e) {
        e.preventDefault();
        testLead(false);
      });
      $('#sales-crm-out-test-send').on('click', function (e) {
        e.preventDefault();
        testLead(true);
      });
    },
    oneditsave: function () {
      this.fieldMap = readRows();
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
    oneditresize: function (size) {
      let height = size.height;
      $('#dialog-form > div:not(.node-input-fieldMap-container-row):visible').each(function () {
        height -= $(this).outerHeight(true);
      });
      $('#node-input-fieldMap-container').editableList('height', Math.max(220, height - 10));
    },
  });
})();
