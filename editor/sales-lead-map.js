// The editor dialog of sales-lead-map (Node-RED loads it from nodes/sales-lead-map.html; scripts/build.js serves it from resources/).
(function () {
  const FACTS = SalesWebhooksEditor.facts;
  let presetCache = null;
  function readMappingRows($list) {
    const rows = [];
    $list.editableList('items').each(function () {
      const $row = $(this);
      rows.push({
        field: $row.find('.sales-lead-map-field').val().trim(),
        path: $row.find('.sales-lead-map-path').val().trim(),
        type: $row.find('.sales-lead-map-type').val(),
        required: $row.find('.sales-lead-map-required').is(':checked'),
        default: $row.find('.sales-lead-map-default').val(),
      });
    });
    return rows;
  }
  function loadPresets() {
    presetCache = presetCache || $.getJSON('sales-lead-map/presets');
    return presetCache;
  }
  // A node that names a preset and stores no rows follows the preset as the installed package defines it.
  function followsPreset(node) {
    return !!node.preset && node.preset !== 'custom' && (!node.mappings || node.mappings.length === 0);
  }
  function shortValue(value) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return text.length > 60 ? text.slice(0, 57) + '…' : text;
  }

  RED.nodes.registerType('sales-lead-map', {
    category: 'sales',
    color: '#E9967A',
    paletteLabel: function () {
      return this._('sales-lead-map.label.palette');
    },
    defaults: {
      name: { value: '' },
      preset: { value: 'custom' },
      mappings: {
        value: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true, default: '' }],
        validate: function (rows) {
          if (Array.isArray(rows) && rows.length === 0) return followsPreset({ preset: this.preset, mappings: rows });
          return (
            Array.isArray(rows) &&
            rows.every(function (r) {
              return (
                r &&
                typeof r.field === 'string' &&
                /^[A-Za-z_][\w-]*$/.test(r.field.trim()) &&
                typeof r.path === 'string' &&
                r.path.trim() !== '' &&
                FACTS.mappingTypes.indexOf(r.type) !== -1
              );
            })
          );
        },
      },
      property: { value: 'payload', required: true },
      split: { value: false },
      splitPath: { value: '' },
      version: { value: SalesWebhooksEditor.currentVersion('sales-lead-map') },
    },
    inputs: 1,
    outputs: 2,
    outputLabels: function (i) {
      return this._(i === 0 ? 'sales-lead-map.label.outputLeads' : 'sales-lead-map.label.outputFailed');
    },
    icon: 'sales-lead.svg',
    label: function () {
      if (this.name) return this.name;
      return this.preset && this.preset !== 'custom' ? this.preset : this._('sales-lead-map.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    oneditprepare: function () {
      const node = this;
      const config = SalesWebhooksEditor.migrateDialog(node, 'node-input');
      const $list = $('#node-input-mapping-container');
      const $preset = $('#node-input-preset');
      const $sample = $('#sales-lead-map-sample');
      const $preview = $('#sales-lead-map-preview');
      const $paths = $('#sales-lead-map-paths');
      const $message = $('#sales-lead-map-sample-message');
      const $mode = $('#sales-lead-map-mode-text');
      const $followAgain = $('#sales-lead-map-follow-again');
      let presets = [];
      let sampleWebhook = null;
      let previewTimer = null;
      let edited = false;
      let following = followsPreset(config);
      node._salesLeadMapFollowing = function () {
        return following;
      };

      $('#node-input-property').typedInput({ types: ['msg'], typeField: '#node-input-property-type' });
      const $standard = $('#sales-lead-map-standard-fields').empty();
      FACTS.standardLeadFields.forEach(function (f) {
        $('<option>').val(f).appendTo($standard);
      });

      function chosenPreset() {
        return presets.find(function (p) {
          return p.id === $preset.val();
        });
      }
      function showMode() {
        const preset = chosenPreset();
        const key = !preset ? 'modeCustom' : following ? 'modeFollowing' : 'modeCopied';
        $mode.text(node._('sales-lead-map.tip.' + key, { preset: preset ? preset.label : '' }));
        $('#sales-lead-map-mode').attr('data-mode', !preset ? 'custom' : following ? 'following' : 'copied');
        $followAgain.toggle(!!preset && !following);
      }
      function rowsChanged() {
        edited = true;
        if (following) {
          following = false;
          showMode();
        }
        schedulePreview();
      }
      function addRow(row) {
        $list.editableList('addItem', row || { field: '', path: '', type: 'string', required: false, default: '' });
      }
      // Rows take the height they need: the dialog scrolls, not a box three rows high.
      $list.css('min-width', '560px').editableList({
        height: 'auto',
        addButton: node._('sales-lead-map.label.addRow'),
        addItem: function (container, index, row) {
          container.addClass('sales-lead-map-row').css({ display: 'flex', alignItems: 'center', gap: '4px' });
          const $field = $(
            '<input type="text" class="sales-lead-map-field" list="sales-lead-map-standard-fields" style="width: 17%">',
          )
            .attr('placeholder', node._('sales-lead-map.placeholder.field'))
            .val(row.field || '');
          const $path = $('<input type="text" class="sales-lead-map-path" style="width: 30%">')
            .attr('placeholder', node._('sales-lead-map.placeholder.path'))
            .val(row.path || '');
          const $type = $('<select class="sales-lead-map-type" style="width: 11%">');
          FACTS.mappingTypes.forEach(function (t) {
            $('<option>').val(t).text(t).appendTo($type);
          });
          $type.val(row.type || 'string');
          const $required = $(
            '<input type="checkbox" class="sales-lead-map-required" style="width: auto; margin: 0 4px">',
          )
            .prop('checked', !!row.required)
            .attr('title', node._('sales-lead-map.label.required'));
          const $default = $('<input type="text" class="sales-lead-map-default" style="width: 11%">')
            .attr('placeholder', node._('sales-lead-map.placeholder.default'))
            .val(row.default || '');
          const $value = $(
            '<span class="sales-lead-map-value" style="flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-family: monospace; font-size: 0.85em"></span>',
          );
          container.append($field, $path, $type, $required, $default, $value);
          container.find('input, select').on('input change', rowsChanged);
          // A row added by the add button or the field picker is an edit too.
          if (!row.field && !row.path) rowsChanged();
        },
        removeItem: rowsChanged,
        sortItems: rowsChanged,
        sortable: true,
        removable: true,
      });

      function setRows(rows) {
        $list.editableList('empty');
        rows.forEach(function (r) {
          $list.editableList('addItem', $.extend({ default: '' }, r));
        });
        edited = false;
      }
      function followPreset(preset) {
        setRows(preset.mappings);
        following = true;
        $('#node-input-split').prop('checked', !!preset.splitPath).trigger('change');
        $('#node-input-splitPath').val(preset.splitPath || '');
        showMode();
      }
      if (!following) setRows(config.mappings || []);

      function readSample() {
        const text = $sample.val().trim();
        if (!text) return { sample: null };
        try {
          return { sample: JSON.parse(text) };
        } catch (e) {
          return { error: node._('sales-lead-map.errors.sample-json') };
        }
      }
      function showRowValues(values, failures) {
        const items = $list.editableList('items');
        items.each(function () {
          $(this).css('background', '');
          $(this)
            .find('.sales-lead-map-value')
            .text('')
            .attr('title', '')
            .removeClass('sales-lead-map-value-error')
            .css('color', '');
        });
        (values || []).forEach(function (v) {
          const $value = $(items[v.row - 1]).find('.sales-lead-map-value');
          if (v.reason) {
            $value
              .addClass('sales-lead-map-value-error')
              .css('color', 'var(--red-ui-text-color-error, #c00)')
              .text(v.reason)
              .attr('title', v.reason);
          } else if (v.value === undefined) {
            $value
              .css('color', 'var(--red-ui-secondary-text-color, #888)')
              .text(node._('sales-lead-map.label.nothing'));
          } else {
            $value
              .text(shortValue(v.value))
              .attr('title', typeof v.value === 'string' ? v.value : JSON.stringify(v.value));
          }
        });
        (failures || []).forEach(function (f) {
          if (f.row) $(items[f.row - 1]).css('background', 'var(--red-ui-form-input-background-error, #fee)');
        });
      }
      function showPaths(paths) {
        $paths.empty();
        paths.forEach(function (p) {
          $('<li class="sales-lead-map-path-item" style="cursor: pointer; padding: 2px 4px">')
            .attr('title', node._('sales-lead-map.tip.pick'))
            .append($('<code>').text(p.path))
            .append(
              $('<span style="color: var(--red-ui-secondary-text-color, #888); margin-left: 6px">').text(
                shortValue(p.value),
              ),
            )
            .on('click', function () {
              const name = p.path
                .split(/[.[\]']/)
                .filter(Boolean)
                .pop()
                .replace(/[^\w-]/g, '_');
              addRow({
                field: /^[A-Za-z_]/.test(name) ? name : 'field_' + name,
                path: p.path,
                type: 'string',
                required: false,
                default: '',
              });
              rowsChanged();
            })
            .appendTo($paths);
        });
      }
      function preview() {
        // A preview scheduled just before the dialog closed has nothing left to update.
        if (!document.body.contains($list[0])) return;
        const read = readSample();
        if (read.error) {
          $message.text(read.error);
          return;
        }
        $message.text('');
        $.ajax({
          url: 'sales-lead-map/preview',
          method: 'POST',
          contentType: 'application/json',
          data: JSON.stringify({
            mappings: readMappingRows($list),
            split: $('#node-input-split').is(':checked'),
            splitPath: $('#node-input-splitPath').val(),
            sample: read.sample,
            webhook: sampleWebhook,
          }),
        })
          .done(function (result) {
            if (!document.body.contains($list[0])) return;
            showPaths(result.paths || []);
            showRowValues(result.rows, result.failures);
            const general = (result.failures || [])
              .filter(function (f) {
                return !f.row;
              })
              .map(function (f) {
                return f.reason;
              });
            if (!read.sample) {
              $preview.text(node._('sales-lead-map.label.noSample'));
              return;
            }
            $preview.text(
              (general.length ? general.join('\n') + '\n' : '') +
                JSON.stringify(result.leads.length === 1 ? result.leads[0] : result.leads, null, 2),
            );
          })
          .fail(function (xhr) {
            $preview.text((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText);
          });
      }
      function schedulePreview() {
        clearTimeout(previewTimer);
        previewTimer = setTimeout(preview, 250);
      }
      $sample.on('input', function () {
        sampleWebhook = null;
        schedulePreview();
      });
      $('#node-input-split, #node-input-splitPath').on('input change', function (e) {
        // Only a person's change makes the rows their own; followPreset sets these too.
        if (e.originalEvent) rowsChanged();
        else schedulePreview();
      });
      $('#node-input-split')
        .on('change', function () {
          $('#sales-lead-map-split-row').toggle($(this).is(':checked'));
        })
        .trigger('change');

      function loadSample(url) {
        $message.text('');
        $.getJSON(url)
          .done(function (delivery) {
            sampleWebhook = delivery.webhook || null;
            $sample.val(JSON.stringify(delivery.payload, null, 2));
            schedulePreview();
          })
          .fail(function (xhr) {
            $message.text((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText);
          });
      }
      $('#sales-lead-map-from-fixture').on('click', function (e) {
        e.preventDefault();
        const preset = $preset.val();
        if (!preset || preset === 'custom') {
          $message.text(node._('sales-lead-map.errors.choose-preset'));
          return;
        }
        loadSample('sales-lead-map/fixture/' + encodeURIComponent(preset));
      });
      // The runtime finds the nearest sales webhook in upstream in the deployed flows, through any nodes and links.
      $('#sales-lead-map-from-delivery').on('click', function (e) {
        e.preventDefault();
        loadSample('sales-lead-map/' + encodeURIComponent(node.id) + '/upstream-delivery');
      });
      $followAgain.on('click', function (e) {
        e.preventDefault();
        const preset = chosenPreset();
        if (preset) {
          followPreset(preset);
          schedulePreview();
        }
      });

      loadPresets().done(function (list) {
        presets = list;
        $preset.empty();
        $('<option>').val('custom').text(node._('sales-lead-map.label.custom')).appendTo($preset);
        presets.forEach(function (p) {
          $('<option>')
            .val(p.id)
            .text(p.label + ' (' + p.id + ')')
            .appendTo($preset);
        });
        $preset.val(chosenPresetId(config.preset));
        $preset.data('previous', $preset.val());
        if (following && chosenPreset()) followPreset(chosenPreset());
        else {
          following = false;
          showMode();
        }
        schedulePreview();
        $preset.on('change', function () {
          const chosen = chosenPreset();
          if (!chosen) {
            following = false;
            $preset.data('previous', 'custom');
            showMode();
            return;
          }
          if (!following && edited && !window.confirm(node._('sales-lead-map.tip.replaceRows'))) {
            $preset.val($preset.data('previous'));
            return;
          }
          $preset.data('previous', chosen.id);
          followPreset(chosen);
          if (!$sample.val().trim()) loadSample('sales-lead-map/fixture/' + encodeURIComponent(chosen.id));
          else schedulePreview();
        });
      });
      function chosenPresetId(id) {
        return presets.some(function (p) {
          return p.id === id;
        })
          ? id
          : 'custom';
      }
      showMode();
      schedulePreview();
    },
    oneditsave: function () {
      const following = this._salesLeadMapFollowing && this._salesLeadMapFollowing();
      delete this._salesLeadMapFollowing;
      // Following a preset stores no rows, so a package update's improvements to the preset reach this node.
      this.mappings = following ? [] : readMappingRows($('#node-input-mapping-container'));
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
    oneditcancel: function () {
      delete this._salesLeadMapFollowing;
    },
  });
})();
