"""Layout measurements the browser tests share: table cells squeezed to a character per line."""

from __future__ import annotations

# Every visible table cell whose text wraps onto lines that hold fewer than two characters on average:
# the column was squeezed below two characters of its own font (at 768 px the ledger's 类别, 责任领导
# and 状态 read one character per line). Lines are found per character, by the top of its box.
NARROW_CELLS_JS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('th, td')) {
    const box = cell.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const tops = new Set();
    let chars = 0;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (let i = 0; i < text.length; i++) {
        if (/\\s/.test(text[i])) continue;
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width === 0) continue;
        chars += 1;
        tops.add(Math.round(r.top));
      }
    }
    if (tops.size >= 2 && chars / tops.size < 2) {
      broken.push({cell: cell.tagName.toLowerCase() + ':' + (cell.cellIndex + 1), text: cell.innerText.slice(0, 30),
                   width: Math.round(box.width), lines: tops.size, table: (cell.closest('table') || {}).className || ''});
    }
  }
  return broken;
}"""
