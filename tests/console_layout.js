// Run in a console page by tests/test_console_layout.py: what a reader would see as broken, one line per problem.
// (a) a box whose content is wider than it, unless it is meant to scroll (and at a desk nothing may need to);
// (b) a line holding one character of a text that wrapped: 学 / 时, …分 / 院.
(desk) => {
  const problems = [];
  const name = (el) => {
    const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return el.tagName.toLowerCase() + cls + " «" + (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40) + "»";
  };
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) problems.push(`the page scrolls sideways (${root.scrollWidth} px)`);
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg") || ["INPUT", "SELECT", "TEXTAREA", "OPTION", "SCRIPT", "STYLE"].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    if (["inline", "none", "contents"].includes(style.display)) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      const scroller = ["auto", "scroll"].includes(style.overflowX);
      if (!scroller) problems.push(`${name(el)} overflows its box: ${el.scrollWidth} px in ${el.clientWidth} px`);
      else if (desk) problems.push(`${name(el)} needs scrolling sideways at a desk: ${el.scrollWidth} px in ${el.clientWidth} px`);
    }
  }
  for (const table of document.querySelectorAll("main table")) {
    const box = table.parentElement.getBoundingClientRect(), edge = table.getBoundingClientRect();
    if (edge.right > box.right + 1 || edge.left < box.left - 1) problems.push(`${name(table)} is wider than its box`);
    if (desk && table.matches("table.data") && table.tHead && getComputedStyle(table.tHead).display === "none")
      problems.push(`${name(table)} hides its column headers at a desk`);
  }
  // A line holding one character of a text that wrapped: 学 / 时, …分 / 院.
  for (const el of document.querySelectorAll("main td, main th, main h1, main h2, main h3, main h4, main dt, main dd, header h1, nav a")) {
    if (!el.getClientRects().length) continue;
    const lines = [];  // {mid, count, nodes}
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    const linesOfNode = new Map();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data;
      for (let i = 0; i < text.length; i++) {
        if (/\s/.test(text[i])) continue;
        const end = i + (text.codePointAt(i) > 0xffff ? 2 : 1);
        range.setStart(node, i); range.setEnd(node, end);
        const rect = range.getClientRects()[0];
        if (!rect || !rect.height) continue;
        const mid = (rect.top + rect.bottom) / 2;
        let line = lines.find((l) => Math.abs(l.mid - mid) < rect.height / 2);
        if (!line) { line = { mid, count: 0, chars: "" }; lines.push(line); }
        line.count += 1; line.chars += text.slice(i, end);
        if (!linesOfNode.has(node)) linesOfNode.set(node, new Set());
        linesOfNode.get(node).add(line);
        i = end - 1;
      }
    }
    for (const [node, own] of linesOfNode) {
      if (own.size < 2) continue;  // this text did not wrap
      for (const line of own) {
        if (line.count === 1) problems.push(`${name(el)} wraps «${line.chars}» onto a line of its own`);
      }
    }
  }
  return problems;
}
