'use strict';
// What the sidebar layout tests measure in the page: words wrapped inside themselves, clipped text; and how they
// resize Node-RED's sidebar (as dragging its separator does).

/** In the page: each text of `selector`'s elements whose words wrap inside themselves, or that overflow their box. */
function brokenTexts(selector) {
  const problems = [];
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      // Unseen text is not broken for anyone: hidden, in a select, or folded in a closed <details> (Chromium still
      // lays that out, zero wide).
      if (!parent.offsetParent || parent.closest('option, select, details:not([open]) > :not(summary)')) continue;
      for (const match of node.data.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        // A word on one line has one box per line; a word broken across lines has one per line it spans.
        const boxes = [...range.getClientRects()];
        const lines = new Set(boxes.map((r) => Math.round(r.top)));
        // Allowed only for a word wider than the whole line it is in (an address longer than the sidebar).
        const wordWidth = boxes.reduce((sum, r) => sum + r.width, 0);
        const lineWidth = parent.closest('td, div').clientWidth;
        if (lines.size > 1 && wordWidth <= lineWidth) problems.push(`"${match[0]}" broken over ${lines.size} lines`);
      }
      if (parent.scrollWidth > parent.clientWidth + 1 && getComputedStyle(parent).overflow !== 'visible') {
        problems.push(`"${node.data}" clipped`);
      }
    }
  }
  return problems;
}

/** Gives Node-RED's sidebar this width, the workspace the rest, as dragging the separator does. */
async function setSidebarWidth(page, width) {
  await page.evaluate((w) => {
    document.getElementById('red-ui-sidebar').style.width = `${w}px`;
    document.getElementById('red-ui-workspace').style.right = `${w + 7}px`;
    document.getElementById('red-ui-sidebar-separator').style.right = `${w}px`;
    window.dispatchEvent(new Event('resize'));
  }, width);
}

module.exports = { brokenTexts, setSidebarWidth };
