'use strict';
// The dialogs in a real editor, in headless Chromium: the lead map (presets, the preset's example, the field picker,
// the live preview), the source (only the fields a provider needs) and the webhook node's Send test event button.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNodeRed, waitFor } = require('./support/real-node-red');
const { launchBrowser, requireBrowser, answerUpdateQuestion, evalNow, evalAllNow } = require('./support/browser');

const saleAssistEvent = require.resolve('../sample-events/saleassist/widget_new_conversation.json');
// Screenshots to look at (SCREENSHOT_DIR, else the temporary directory).
const screenshotDir = process.env.SCREENSHOT_DIR || path.join(os.tmpdir(), 'sales-webhooks-screenshots');
const screenshot = (name) => {
  fs.mkdirSync(screenshotDir, { recursive: true });
  return path.join(screenshotDir, name);
};

/** The editor's own i18n (as each Node-RED version configures it) reads the package's plural forms. */
async function assertPluralForms(page) {
  const say = (key, count) =>
    page.evaluate(
      ([k, c]) => RED._(`node-red-contrib-sales-webhooks/${k.split('.')[0]}:${k}`, { count: c }),
      [key, count],
    );
  assert.equal(await say('sales-lead-map.label.leadCount', 1), '1 lead');
  assert.equal(await say('sales-lead-map.label.leadCount', 2), '2 leads');
  assert.equal(await say('sales-webhooks-log.notify.replayed', 1), '1 delivery will be emitted again.');
  assert.equal(await say('sales-webhooks-log.notify.replayed', 3), '3 deliveries will be emitted again.');
  assert.equal(await say('sales-webhooks-log.label.leads', 2), 'Leads');
}

/** Chromium on Node-RED's editor; `onError` hears the page's uncaught errors from the start. */
/** `context` is the mocha hook's `this`: without a browser launchBrowser skips the suite (fails under CI). */
async function openEditor(context, nodeRed, onError = () => {}) {
  const browser = await launchBrowser(context);
  browser.page.on('pageerror', onError);
  await answerUpdateQuestion(browser.page);
  await browser.page.goto(nodeRed.url, { waitUntil: 'domcontentloaded' });
  return browser;
}

describe('the dialogs in the editor', function () {
  this.timeout(90000);
  let nodeRed;
  let browser;
  before(async function () {
    requireBrowser(this);
    // The welcome tour would cover the dialog; nothing else differs from default settings.
    nodeRed = await startNodeRed({ settings: 'module.exports = { editorTheme: { tours: false } };' });
    await nodeRed.deploy([
      { id: 'tab', type: 'tab', label: 'leads' },
      {
        id: 'src',
        type: 'sales-webhook-source',
        name: 'SaleAssist account',
        provider: 'saleassist',
        headerName: 'x-webhook-token',
        tolerance: 300,
        credentials: { token: 'editor-test-token-7f3a' },
      },
      {
        id: 'in',
        type: 'sales-webhook in',
        z: 'tab',
        x: 120,
        y: 100,
        url: '/webhooks/saleassist',
        source: 'src',
        maxBytes: 1048576,
        dedupe: true,
        dedupeHours: 24,
        dedupeLimit: 50000,
        dedupeStore: '',
        version: 1,
        wires: [['mapper'], []],
      },
      {
        id: 'mapper',
        type: 'sales-lead-map',
        z: 'tab',
        x: 300,
        y: 100,
        name: '',
        preset: 'custom',
        mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true, default: '' }],
        property: 'payload',
        split: false,
        splitPath: '',
        version: 1,
        wires: [[], []],
      },
      // The demo's shape: sales webhook in → switch (by event type) → lead map that follows its preset (no rows).
      {
        id: 'in2',
        type: 'sales-webhook in',
        z: 'tab',
        x: 120,
        y: 200,
        url: '/webhooks/saleassist-2',
        source: 'src',
        wires: [['route'], []],
      },
      {
        id: 'route',
        type: 'switch',
        z: 'tab',
        x: 300,
        y: 200,
        property: 'topic',
        propertyType: 'msg',
        rules: [{ t: 'eq', v: 'widget_new_conversation', vt: 'str' }, { t: 'else' }],
        checkall: 'true',
        repair: false,
        outputs: 2,
        wires: [['follower'], ['linkOut']],
      },
      {
        id: 'follower',
        type: 'sales-lead-map',
        z: 'tab',
        x: 500,
        y: 200,
        preset: 'saleassist:widget_new_conversation',
        mappings: [],
        property: 'payload',
        split: false,
        splitPath: '',
        version: 1,
        wires: [[], []],
      },
      // …and through link nodes, onto another tab.
      { id: 'linkOut', type: 'link out', z: 'tab', x: 460, y: 260, mode: 'link', links: ['linkIn'] },
      { id: 'tab2', type: 'tab', label: 'elsewhere' },
      { id: 'linkIn', type: 'link in', z: 'tab2', x: 100, y: 100, links: ['linkOut'], wires: [['change']] },
      {
        id: 'change',
        type: 'change',
        z: 'tab2',
        x: 260,
        y: 100,
        rules: [{ t: 'set', p: 'seen', pt: 'msg', to: 'true', tot: 'bool' }],
        wires: [['linked']],
      },
      {
        id: 'linked',
        type: 'sales-lead-map',
        z: 'tab2',
        x: 440,
        y: 100,
        preset: 'custom',
        mappings: [{ field: 'email', path: 'payload.people_detail.email', type: 'email', required: true, default: '' }],
        property: 'payload',
        version: 1,
        wires: [[], []],
      },
      // A lead map that follows its preset, opened at the dialog's default width by the layout test.
      {
        id: 'narrow',
        type: 'sales-lead-map',
        z: 'tab',
        x: 300,
        y: 400,
        preset: 'saleassist:widget_new_conversation',
        mappings: [],
        property: 'payload',
        version: 1,
        wires: [[], []],
      },
      // A lead map made from a preset whose rows were then changed: they are its own, the preset only their origin.
      {
        id: 'copied',
        type: 'sales-lead-map',
        z: 'tab',
        x: 300,
        y: 460,
        preset: 'saleassist:widget_new_conversation',
        mappings: [
          { field: 'email', path: 'payload.people_detail.email', type: 'email', required: true, default: '' },
          { field: 'device', path: 'payload.people_detail.device', type: 'string', required: false, default: '' },
        ],
        property: 'payload',
        version: 1,
        wires: [[], []],
      },
      // A CRM out saved before versions existed, with the field map as an object: its dialog must open on rows.
      {
        id: 'acct',
        type: 'sales-crm-account',
        system: 'http',
        baseUrl: 'http://127.0.0.1:9',
        credentials: { token: 'editor-crm-token' },
      },
      {
        id: 'oldCrm',
        type: 'sales-crm out',
        z: 'tab',
        x: 700,
        y: 300,
        account: 'acct',
        fieldMap: { Email: 'email', Name: 'fullName' },
        wires: [[], []],
      },
    ]);
    browser = await openEditor(this, nodeRed, (err) => pageErrors.push(err.message));
    await browser.page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('mapper'), null, {
      timeout: 30000,
    });
  });
  const pageErrors = [];
  // A closing dialog stays in the page while it slides out; the next one's selectors must not find it.
  const closedTrays = (page) =>
    page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, null, { timeout: 10000 });
  /** Opens the lead map `narrow` (the SaleAssist preset's rows) and waits for its rows. */
  const openNarrowLeadMap = async (page) => {
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('narrow')));
    await page.waitForFunction(
      () => document.querySelectorAll('#node-input-mapping-container .sales-lead-map-row').length > 5,
      null,
      { timeout: 15000 },
    );
  };
  /** Types the SaleAssist example as the sample and waits for the picker to list its fields. */
  const typeSampleAndWaitForPaths = async (page) => {
    await page.fill('#sales-lead-map-sample', fs.readFileSync(saleAssistEvent, 'utf8'));
    await page
      .waitForFunction(() => document.querySelectorAll('#sales-lead-map-paths li').length > 50, null, {
        timeout: 15000,
      })
      .catch(async (err) => {
        // Timed out once in CI under Node 22: say what the dialog showed instead of the paths.
        const shown = await page.evaluate(() => ({
          paths: document.querySelectorAll('#sales-lead-map-paths li').length,
          preview: document.querySelector('#sales-lead-map-preview').textContent.slice(0, 300),
          message: document.querySelector('#sales-lead-map-sample-message').textContent,
        }));
        throw new Error(`${err.message}; the dialog showed ${JSON.stringify(shown)}`);
      });
  };
  afterEach(async () => {
    if (!browser) return;
    // Leave no dialog open for the next test.
    await browser.page.evaluate(() => {
      while (RED.editor.isOpen && RED.editor.isOpen()) RED.tray.close();
      // A tray the editor no longer counts as open (a failed attempt's) is closed too, a bounded number of times.
      for (let i = 0; i < 5 && document.querySelectorAll('.red-ui-tray').length; i++) RED.tray.close();
    });
    await closedTrays(browser.page);
    assert.deepEqual(pageErrors, []);
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
  });

  it('picks the SaleAssist preset and shows prakashm@athenabpo.in in the preview', async function () {
    const { page } = browser;
    // The palette offers the node under our category.
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="sales-lead-map"]', { timeout: 15000 });
    // Palette labels come from the locales.
    assert.equal(
      (await page.textContent('.red-ui-palette-node[data-palette-type="sales-lead-map"] .red-ui-palette-label'))
        .replace(/\s+/g, ' ')
        .trim(),
      'lead map',
    );
    assert.equal(
      (await page.textContent('.red-ui-palette-node[data-palette-type="sales-webhook in"] .red-ui-palette-label'))
        .replace(/\s+/g, ' ')
        .trim(),
      'sales webhook',
    );

    await page.evaluate(() => RED.editor.edit(RED.nodes.node('mapper')));
    await page.waitForSelector('#node-input-preset option[value="saleassist:widget_new_conversation"]', {
      state: 'attached',
      timeout: 15000,
    });
    await page.selectOption('#node-input-preset', 'saleassist:widget_new_conversation');
    // The preset fills the rows and, with an empty sample box, loads its example event.
    await page.waitForFunction(
      () => document.querySelectorAll('#node-input-mapping-container .sales-lead-map-row').length > 5,
    );
    await page.waitForFunction(
      () => document.querySelector('#sales-lead-map-preview').textContent.includes('prakashm@athenabpo.in'),
      null,
      { timeout: 15000 },
    );
    const preview = await page.textContent('#sales-lead-map-preview');
    assert.match(preview, /"email": "prakashm@athenabpo.in"/);
    assert.match(preview, /"fullName": "Prakash Mudhaliyar"/);
    assert.equal(await page.getAttribute('#sales-lead-map-mode', 'data-mode'), 'following');

    // Each row shows what it yields for the sample, beside it.
    const valueOf = (field) =>
      page.evaluate((f) => {
        const row = [...document.querySelectorAll('#node-input-mapping-container .sales-lead-map-row')].find(
          (r) => r.querySelector('.sales-lead-map-field').value === f,
        );
        return row && row.querySelector('.sales-lead-map-value').textContent;
      }, field);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.sales-lead-map-value')].some((v) => v.textContent === 'prakashm@athenabpo.in'),
    );
    assert.equal(await valueOf('email'), 'prakashm@athenabpo.in');
    assert.equal(await valueOf('fullName'), 'Prakash Mudhaliyar');
    // The rows take the height they need (no scroll bar inside the list) and there is one add button.
    const list = await page.evaluate(() => {
      const box = document.querySelector('#node-input-mapping-container').closest('.red-ui-editableList-container');
      return {
        scroll: box.scrollHeight,
        client: box.clientHeight,
        addButtons: document.querySelectorAll('.red-ui-editableList-addButton').length,
      };
    });
    assert.ok(list.scroll <= list.client + 1, `rows hidden behind a scroll bar: ${JSON.stringify(list)}`);
    assert.equal(list.addButtons, 1);

    // The field picker: clicking a path adds a row for it, and the preview shows its value under custom.
    const rowsBefore = await page.locator('#node-input-mapping-container .sales-lead-map-row').count();
    await page.locator('#sales-lead-map-paths li', { hasText: 'payload.people_detail.device' }).first().click();
    assert.equal(await page.locator('#node-input-mapping-container .sales-lead-map-row').count(), rowsBefore + 1);
    await page.waitForFunction(() =>
      document.querySelector('#sales-lead-map-preview').textContent.includes('"device": "Mobile"'),
    );

    assert.equal(
      await page.getAttribute('#sales-lead-map-mode', 'data-mode'),
      'copied',
      'an added row makes the rows a copy',
    );

    // A required row whose path finds nothing shows its reason in red in place of the value.
    await page
      .locator('#node-input-mapping-container .sales-lead-map-row')
      .first()
      .locator('.sales-lead-map-path')
      .fill('payload.people_detail.nowhere');
    await page.waitForFunction(() => {
      const value = document.querySelector('#node-input-mapping-container .sales-lead-map-row .sales-lead-map-value');
      return value && value.classList.contains('sales-lead-map-value-error') && value.textContent.includes('required');
    });

    // Done stores the rows on the node.
    await page.click('#node-dialog-ok');
    const stored = await page.evaluate(() => RED.nodes.node('mapper').mappings);
    assert.equal(stored.length, rowsBefore + 1);
    assert.equal(stored[0].path, 'payload.people_detail.nowhere');
  });

  it('the lead map at its default width cuts no field, type, path or picker entry; the picker searches and fills the row of its field', async function () {
    const { page } = browser;
    // The screen the issue names; the tray takes its default width from it.
    await page.setViewportSize({ width: 1366, height: 768 });
    await openNarrowLeadMap(page);
    await typeSampleAndWaitForPaths(page);
    await page.waitForFunction(() =>
      /^1 lead$/.test(document.querySelector('#sales-lead-map-preview-count').textContent),
    );

    // Measured, not eyeballed: every input shows its whole text, every select its chosen option, every picker entry
    // fits (or wraps), and nothing makes the dialog scroll sideways: at the default width and at Node-RED's narrowest.
    const cut = () =>
      page.evaluate(() => {
        const problems = [];
        const text = (e) => e.value || e.textContent;
        for (const input of document.querySelectorAll('#node-input-mapping-container input[type="text"]')) {
          if (input.scrollWidth > input.clientWidth) problems.push(`input "${text(input)}"`);
        }
        for (const select of document.querySelectorAll('#node-input-mapping-container select')) {
          const natural = select.cloneNode(true);
          natural.style.cssText = 'width: auto; position: absolute; visibility: hidden';
          natural.value = select.value;
          select.parentNode.appendChild(natural);
          if (natural.offsetWidth > select.offsetWidth + 1) problems.push(`select "${select.value}"`);
          natural.remove();
        }
        const boxes = document.querySelectorAll(
          '#sales-lead-map-paths li, #sales-lead-map-paths code, .red-ui-editableList-container, .red-ui-tray-body',
        );
        for (const box of boxes) {
          if (box.offsetParent && box.scrollWidth > box.clientWidth + 1)
            problems.push(`${box.tagName} "${text(box).slice(0, 40)}"`);
        }
        return { problems, trayWidth: document.querySelector('.red-ui-tray').offsetWidth };
      });
    const atDefault = await cut();
    assert.deepEqual(atDefault.problems, [], `cut at the default width (${atDefault.trayWidth} px)`);
    await page.screenshot({ path: screenshot('lead-map-default-width.png') });
    // Node-RED never opens a tray narrower than 500 px, its body 40 px less.
    await page.evaluate(() => {
      $('.red-ui-tray').width(500);
      $('.red-ui-tray-body').css('min-width', '460px');
      RED.tray.resize();
    });
    const atNarrowest = await cut();
    assert.ok(atNarrowest.trayWidth <= 501, `${atNarrowest.trayWidth} px`);
    assert.deepEqual(atNarrowest.problems, [], 'cut at 500 px');
    await page.screenshot({ path: screenshot('lead-map-500px.png') });

    // The search box narrows 131 paths to the ones asked for, and says how many it shows.
    const total = await page.locator('#sales-lead-map-paths li').count();
    await page.fill('#sales-lead-map-paths-search', 'people_detail.email');
    const shown = await evalAllNow(page, '#sales-lead-map-paths li', (items) =>
      items.filter((li) => li.style.display !== 'none').map((li) => li.dataset.path),
    );
    assert.ok(shown.length >= 1 && shown.length < total, `${shown.length} of ${total}`);
    assert.ok(
      shown.every((path) => path.includes('people_detail.email')),
      shown.join(', '),
    );
    assert.equal(await page.textContent('#sales-lead-map-paths-count'), `${shown.length} of ${total} shown`);
    await page.locator('#sales-lead-map-paths-search').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshot('lead-map-picker-search.png') });

    const rows = () =>
      evalAllNow(page, '#node-input-mapping-container .sales-lead-map-row', (list) =>
        list.map((r) => ({
          field: r.querySelector('.sales-lead-map-field').value,
          path: r.querySelector('.sales-lead-map-path').value,
        })),
      );
    const pick = (path) => page.locator(`#sales-lead-map-paths li[data-path="${path}"]`).click();
    const before = await rows();
    const emailRow = before.findIndex((r) => r.field === 'email');
    // Picking a path for a field that has a row updates that row: no second "email" row at the bottom.
    await page.locator('#node-input-mapping-container .sales-lead-map-path').nth(emailRow).fill('payload.elsewhere');
    await page.locator('#sales-lead-map-paths-search').focus();
    await pick('payload.people_detail.email');
    let after = await rows();
    assert.equal(after.length, before.length, 'no row added');
    assert.deepEqual(after[emailRow], { field: 'email', path: 'payload.people_detail.email' });
    assert.equal(after.filter((r) => r.field === 'email').length, 1);

    // A path no row names or holds adds one row, once: picking it again updates that row.
    await page.fill('#sales-lead-map-paths-search', 'device');
    await pick('payload.people_detail.device');
    const pathsTop = () => evalNow(page, '#sales-lead-map-paths', (list) => list.getBoundingClientRect().top);
    const topBeforeAnswer = await pathsTop();
    await pick('payload.people_detail.device');
    after = await rows();
    assert.equal(after.length, before.length + 1);
    assert.deepEqual(after.at(-1), { field: 'device', path: 'payload.people_detail.device' });
    // The new row's value arrives with the preview's answer; the paths under the pointer do not move when it does.
    await page.waitForFunction(
      () => [...document.querySelectorAll('.sales-lead-map-row .sales-lead-map-value')].at(-1).textContent !== '',
      null,
      { timeout: 10000 },
    );
    assert.equal(await pathsTop(), topBeforeAnswer, 'the list of paths stays where it was');

    // Clicking into a row first makes the pick fill that row.
    const nameRow = after.findIndex((r) => r.field === 'fullName');
    await page.locator('#node-input-mapping-container .sales-lead-map-field').nth(nameRow).focus();
    await page.fill('#sales-lead-map-paths-search', 'widget_city');
    assert.match(await page.textContent('#sales-lead-map-paths-target'), /fills the row "fullName"/);
    await pick('payload.people_detail.widget_city');
    after = await rows();
    assert.equal(after.length, before.length + 1);
    assert.deepEqual(after[nameRow], { field: 'fullName', path: 'payload.people_detail.widget_city' });
    await page.click('#node-dialog-cancel');
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it("a late answer to an older preview does not replace the newer one's paths", async function () {
    const { page } = browser;
    await openNarrowLeadMap(page);
    // The first preview (an empty sample) is held until the second (the real sample) has been answered and shown.
    let release;
    const held = new Promise((resolve) => (release = resolve));
    let asked = 0;
    // What each preview asked for, in the order they reached the route: said when the assertion fails.
    const seen = [];
    await page.route('**/sales-lead-map/preview', async (route) => {
      const n = ++asked;
      const sample = JSON.parse(route.request().postData() || '{}').sample;
      seen.push(`#${n} sample of ${JSON.stringify(sample ?? null).length} characters at ${Date.now() % 100000}`);
      if (n === 1) await held;
      await route.continue();
      seen.push(`#${n} answered at ${Date.now() % 100000}`);
    });
    try {
      await page.fill('#sales-lead-map-sample', '{}');
      await waitFor(() => asked === 1, 5000, 20);
      await typeSampleAndWaitForPaths(page);
      const lateAnswer = page.waitForResponse((res) => res.url().includes('sales-lead-map/preview'));
      release();
      await lateAnswer;
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
      const listed = await page.locator('#sales-lead-map-paths li').count();
      assert.ok(listed > 50, `the empty sample's late answer emptied the list (${listed} paths; ${seen.join(', ')})`);
      assert.match(await page.textContent('#sales-lead-map-preview-count'), /^1 lead$/);
    } finally {
      release();
      await page.unroute('**/sales-lead-map/preview');
      await page.click('#node-dialog-cancel');
      await closedTrays(page);
    }
  });

  it('a lead map whose rows were changed from its preset keeps them, and an empty sample, every time its dialog opens', async function () {
    const { page } = browser;
    // Node-RED fires "change" on every node-input field once the dialog is prepared. From the second opening on, the
    // presets are already loaded, so that event reached the preset list's handler as if the person had chosen the
    // preset: it replaced the node's own rows with the preset's (Done then saved the preset's) and loaded its example.
    for (let opening = 1; opening <= 3; opening++) {
      await page.evaluate(() => RED.editor.edit(RED.nodes.node('copied')));
      await page.waitForFunction(
        () => document.querySelectorAll('#node-input-mapping-container .sales-lead-map-row').length > 0,
        null,
        { timeout: 15000 },
      );
      // Long enough for the preset's example to have loaded and a preview to have been asked for.
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 600)));
      const shown = await page.evaluate(() => ({
        mode: document.querySelector('#sales-lead-map-mode').getAttribute('data-mode'),
        fields: [...document.querySelectorAll('#node-input-mapping-container .sales-lead-map-field')].map(
          (f) => f.value,
        ),
        sample: document.querySelector('#sales-lead-map-sample').value,
      }));
      assert.deepEqual(shown, { mode: 'copied', fields: ['email', 'device'], sample: '' }, `opening ${opening}`);
      await page.click('#node-dialog-ok');
      await closedTrays(page);
      const saved = await page.evaluate(() => RED.nodes.node('copied').mappings.map((m) => m.field));
      assert.deepEqual(saved, ['email', 'device'], `Done after opening ${opening}`);
    }
  });

  it('counts go through plural forms: the preview, the lead map and the delivery log say "1 lead", "2 leads"', async function () {
    await assertPluralForms(browser.page);
  });

  it('a lead map with a preset and no rows follows the preset, and Done keeps it following', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('follower')));
    await page.waitForFunction(
      () =>
        document.querySelector('#sales-lead-map-mode')?.getAttribute('data-mode') === 'following' &&
        document.querySelectorAll('#node-input-mapping-container .sales-lead-map-row').length > 0,
      null,
      { timeout: 15000 },
    );
    const presetRows = await page.evaluate(() =>
      fetch('sales-lead-map/presets')
        .then((r) => r.json())
        .then((list) => list.find((p) => p.id === 'saleassist:widget_new_conversation').mappings.length),
    );
    assert.equal(
      await page.locator('#node-input-mapping-container .sales-lead-map-row').count(),
      presetRows,
      "the preset's current rows are shown",
    );
    assert.match(await page.textContent('#sales-lead-map-mode'), /Following the preset/);
    await page.click('#node-dialog-ok');
    assert.deepEqual(await page.evaluate(() => RED.nodes.node('follower').mappings), []);
    assert.equal(
      await page.evaluate(() => RED.nodes.node('follower').valid),
      true,
      'no rows is valid while a preset is followed',
    );
  });

  it('"Last delivery" finds the sales webhook in upstream through a switch, and through link nodes', async function () {
    // On Node-RED 5 in the full parallel run this test has twice timed out waiting for the last dialog's message
    // (never alone, nor with three files at once); a second attempt shows whether that is load or a real answer.
    this.retries(2);
    const { page } = browser;
    const body = fs.readFileSync(require.resolve('../sample-events/saleassist/widget_new_conversation.json'));
    const res = await fetch(`${nodeRed.url}/webhooks/saleassist-2`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-webhook-token': 'editor-test-token-7f3a' },
    });
    assert.equal(res.status, 200);
    for (const id of ['follower', 'linked']) {
      await page.evaluate((nodeId) => RED.editor.edit(RED.nodes.node(nodeId)), id);
      await page.waitForSelector('#sales-lead-map-from-delivery');
      await page.click('#sales-lead-map-from-delivery');
      await page.waitForFunction(
        () => document.querySelector('#sales-lead-map-sample').value.includes('prakashm@athenabpo.in'),
        null,
        { timeout: 15000 },
      );
      assert.equal(await page.textContent('#sales-lead-map-sample-message'), '');
      await page.click('#node-dialog-cancel');
      await closedTrays(page);
    }
    // The first lead map has no sales webhook in upstream that received anything: it says so.
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('mapper')));
    await page.waitForSelector('#sales-lead-map-from-delivery');
    await page.click('#sales-lead-map-from-delivery');
    await page
      .waitForFunction(
        () => /No delivery yet/.test(document.querySelector('#sales-lead-map-sample-message').textContent),
        null,
        { timeout: 15000 },
      )
      .catch(async (err) => {
        const shown = await page.textContent('#sales-lead-map-sample-message');
        throw new Error(`${err.message}; the dialog said: ${JSON.stringify(shown)}`);
      });
    await page.click('#node-dialog-cancel');
  });

  it("the delivery log offers the runtime's states, each badge in its colour with its explanation", async function () {
    const { page } = browser;
    const { DELIVERY_STATES } = require('../dist/inbox/types');
    const { deliveryLog } = require('../dist/editorFacts').editorFacts();
    await page.evaluate(() => RED.sidebar.show('sales-webhooks-log'));
    // The previous test's delivery.
    await page.waitForSelector('#sales-webhooks-log-list tr.sales-webhooks-log-row', { timeout: 15000 });
    assert.deepEqual(
      await evalAllNow(page, '#sales-webhooks-log-state option', (options) =>
        options.map((o) => o.value).filter(Boolean),
      ),
      [...DELIVERY_STATES],
    );
    // Found and read in one turn of the page: $eval finds the badge, then reads it in a second step, and a refresh of
    // the list in between (the previous test's delivery settling) left it detached, with no computed colour.
    const badge = await page.evaluate(() => {
      const b = document.querySelector('#sales-webhooks-log-list .sales-webhooks-log-state');
      return { state: b.closest('tr').dataset.state, colour: getComputedStyle(b).backgroundColor, title: b.title };
    });
    const rgb = (hex) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    assert.equal(badge.colour, rgb(deliveryLog.stateColours[badge.state]));
    assert.ok(badge.title.length > 20, badge.title);
    await page.click('#sales-webhooks-log-help-toggle');
    assert.equal(await page.locator('.sales-webhooks-log-states-help dt').count(), DELIVERY_STATES.length);
    await page.screenshot({ path: screenshot('delivery-log-states-help.png') });
    await page.click('#sales-webhooks-log-help-toggle');
    await page.evaluate(() => RED.sidebar.show('info'));
  });

  it('a sales-crm out saved with the old object field map opens on its rows and saves the current version', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('oldCrm')));
    await page.waitForFunction(
      () => document.querySelectorAll('#node-input-fieldMap-container .sales-crm-out-crm').length === 2,
      null,
      { timeout: 15000 },
    );
    assert.deepEqual(
      await evalAllNow(page, '#node-input-fieldMap-container .sales-crm-out-crm', (inputs) =>
        inputs.map((i) => i.value),
      ),
      ['Email', 'Name'],
    );
    await page.click('#node-dialog-ok');
    const saved = await page.evaluate(() => ({
      fieldMap: RED.nodes.node('oldCrm').fieldMap,
      version: RED.nodes.node('oldCrm').version,
    }));
    assert.deepEqual(saved, {
      fieldMap: [
        { crmField: 'Email', leadField: 'email' },
        { crmField: 'Name', leadField: 'fullName' },
      ],
      version: 1,
    });
  });

  it("the source dialog shows the chosen provider's description and only the fields it needs", async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.editConfig('', 'sales-webhook-source', 'src'));
    await page.waitForSelector('#node-config-input-provider option[value="salesmagic"]', {
      state: 'attached',
      timeout: 15000,
    });
    await page.waitForFunction(() =>
      /custom header/.test(document.querySelector('#sales-webhook-source-description').textContent),
    );
    const visible = (field) => page.isVisible(`#sales-webhook-source-row-${field}`);
    assert.equal(await visible('token'), true);
    assert.equal(await visible('headerName'), true);
    assert.equal(await visible('secret'), false);
    assert.equal(await visible('template'), false);
    await page.selectOption('#node-config-input-provider', 'salesmagic');
    await page.waitForFunction(() =>
      /Svix/.test(document.querySelector('#sales-webhook-source-description').textContent),
    );
    assert.equal(await visible('secret'), true);
    assert.equal(await visible('previousSecret'), true);
    assert.equal(await visible('token'), false);
    assert.match(await page.textContent('#sales-webhook-source-events'), /call\.completed/);
    await page.selectOption('#node-config-input-provider', 'hmac');
    assert.equal(await visible('template'), true);
    assert.equal(await visible('algorithm'), true);
    // The token never comes back to the browser.
    assert.notEqual(await page.inputValue('#node-config-input-token'), 'editor-test-token-7f3a');
    await page.click('#node-config-dialog-cancel');
  });

  // Issue 10, defects 1 and 2: the dialog asks the runtime about the path (one rule) and warns before deploy.
  it('the webhook dialog names the editor route a path would hide, says when a path is not plain, and is quiet for a good one', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#node-input-url', { timeout: 15000 });
    const expectWarning = async (url, pattern) => {
      await page.fill('#node-input-url', url);
      if (pattern) {
        await page.waitForFunction(
          (re) => new RegExp(re).test(document.querySelector('#sales-webhook-in-url-warning').textContent),
          pattern.source,
          { timeout: 10000 },
        );
        assert.ok(await page.locator('#sales-webhook-in-url-warning').isVisible(), url);
      } else {
        await page.waitForFunction(
          () => getComputedStyle(document.querySelector('#sales-webhook-in-url-warning')).display === 'none',
          null,
          { timeout: 10000 },
        );
      }
    };
    await expectWarning('/flows', /would hide the Node-RED editor's own \/flows routes/);
    await expectWarning('/', /would hide the Node-RED editor's own page/);
    await expectWarning('/bad(', /not a plain URL path/);
    await expectWarning('/webhooks/saleassist', undefined);
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('#node-input-url', { state: 'detached', timeout: 10000 });
  });

  it('Send test event posts a signed example to the deployed node and shows the answer', async function () {
    const { page } = browser;
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#sales-webhook-in-test-event option[value="widget_new_conversation"]', {
      state: 'attached',
      timeout: 15000,
    });
    await page.click('#sales-webhook-in-test-send');
    await page.waitForFunction(
      () => /^200 /.test(document.querySelector('#sales-webhook-in-test-result').textContent),
      null,
      { timeout: 15000 },
    );
    assert.equal(await page.textContent('#sales-webhook-in-test-result'), '200 {"received":true}');
    await page.check('#sales-webhook-in-test-tamper');
    await page.click('#sales-webhook-in-test-send');
    await page.waitForFunction(
      () => /^401 /.test(document.querySelector('#sales-webhook-in-test-result').textContent),
      null,
      { timeout: 15000 },
    );
    await page.click('#node-dialog-cancel');
  });

  it('the webhook dialog: inbox on for a node saved before it existed, lease rows with it, the context store row without it; settle in the palette', async function () {
    const { page } = browser;
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="sales-webhook settle"]', { timeout: 15000 });
    // The previous dialog's tray closes with an animation; until it is gone its inputs share the new one's ids.
    await page.waitForFunction(() => document.querySelectorAll('#node-input-url').length === 0, null, {
      timeout: 15000,
    });
    await page.evaluate(() => RED.editor.edit(RED.nodes.node('in')));
    await page.waitForSelector('#node-input-inbox', { timeout: 15000 });
    assert.equal(await page.isChecked('#node-input-inbox'), true);
    assert.equal(await page.isVisible('#node-input-leaseMinutes'), true);
    assert.equal(await page.isVisible('#node-input-maxAttempts'), true);
    assert.equal(await page.isVisible('#node-input-dedupeHours'), true, "the window is the inbox's duplicate window");
    assert.equal(await page.isVisible('#node-input-dedupeLimit'), true, 'Remember bounds the keys the inbox looks up');
    assert.equal(await page.isVisible('#node-input-dedupeStore'), false);
    await page.uncheck('#node-input-inbox');
    assert.equal(await page.isVisible('#node-input-leaseMinutes'), false);
    assert.equal(await page.isVisible('#node-input-dedupeLimit'), true);
    assert.equal(await page.isVisible('#node-input-dedupeStore'), true);
    await page.check('#node-input-inbox');
    // The defaults are filled in, so Done would store them.
    assert.equal(await page.inputValue('#node-input-leaseMinutes'), '5');
    assert.equal(await page.inputValue('#node-input-maxAttempts'), '5');
    await page.click('#node-dialog-cancel');
  });
});

// Node-RED 3.1's editor reads catalogs in i18next's v3 format as they are (4.1 and 5 migrate `_plural` to `_other`).
describe("plural forms in Node-RED 3.1's editor", function () {
  this.timeout(90000);
  let nodeRed;
  let browser;
  before(async function () {
    requireBrowser(this);
    nodeRed = await startNodeRed({
      entry: require.resolve('node-red-3/red.js'),
      settings: 'module.exports = { editorTheme: { tours: false } };',
    });
    browser = await openEditor(this, nodeRed);
    await browser.page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.getType('sales-lead-map'), null, {
      timeout: 30000,
    });
  });
  after(async () => {
    await browser?.close();
    await nodeRed?.remove();
  });

  it('says "1 lead", "2 leads", "1 delivery", "3 deliveries"', async function () {
    await assertPluralForms(browser.page);
  });
});
