// Word help on the note page (docs/translation.md, "Word glosses"). The server renders a link to
// ?glosses=1 (a word list, no JavaScript needed); here it becomes a toggle button. When on, the
// words of the note's title and body become focusable (one tab stop; arrow keys, Home and End
// move between words) and a popover shows the word's pinyin and meanings, or, for an English
// word, its Chinese entries. The popover is the word's description (aria-describedby), so a
// screen reader reads it when the word gets focus. Glosses come from
// /api/v1/notes/{id}/glosses: segments that, joined, are exactly the title's and the body's text,
// so they are laid over the page's text nodes without re-parsing anything.

const WORD_CLASS = "gloss-word";

function make(tag, className, text) {
  const element = document.createElement(tag);
  if (className) {
    element.className = className;
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/** Wrap the words of `root` that have entries in focusable spans; false if the text differs. */
function wrap(root, segments, entries) {
  if (!root) {
    return [];
  }
  const joined = segments.map((segment) => segment.text).join("");
  if (joined !== root.textContent) {
    return []; // the page and the glosses disagree (edited meanwhile): leave the text alone
  }
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) {
    nodes.push(walker.currentNode);
  }
  // Segment boundaries as offsets into the text.
  const starts = [];
  let offset = 0;
  for (const segment of segments) {
    starts.push(offset);
    offset += segment.text.length;
  }
  const words = [];
  let index = 0;
  let position = 0;
  for (const node of nodes) {
    const text = node.nodeValue;
    const end = position + text.length;
    const parts = document.createDocumentFragment();
    let at = position;
    while (at < end) {
      while (index + 1 < segments.length && starts[index + 1] <= at) {
        index += 1;
      }
      const segment = segments[index];
      const stop = Math.min(end, starts[index] + segment.text.length);
      const piece = text.slice(at - position, stop - position);
      if (segment.lang && entries[segment.text]) {
        const span = make("span", WORD_CLASS, piece);
        span.dataset.word = segment.text;
        span.lang = segment.lang;
        span.tabIndex = -1;
        span.setAttribute("role", "button");
        parts.append(span);
        words.push(span);
      } else {
        parts.append(document.createTextNode(piece));
      }
      at = stop;
    }
    node.replaceWith(parts);
    position = end;
  }
  return words;
}

function unwrap(root) {
  if (!root) {
    return;
  }
  root.querySelectorAll(`span.${WORD_CLASS}`).forEach((span) => span.replaceWith(document.createTextNode(span.textContent)));
  root.normalize();
}

function fill(popover, word, lang, found, credit) {
  popover.replaceChildren();
  const head = make("p", "word-popover-word", word);
  head.lang = lang;
  popover.append(head);
  const list = make("ul", "word-popover-entries");
  for (const entry of found) {
    const item = make("li");
    if (lang === "zh") {
      const reading = make("span", "word-popover-pinyin", entry.pinyin);
      const senses = make("span", "word-popover-senses", entry.senses.join("; "));
      senses.lang = "en";
      item.append(reading, " ", senses);
    } else {
      const heading = entry.traditional === entry.simplified ? entry.simplified : `${entry.simplified} (${entry.traditional})`;
      const chinese = make("span", "word-popover-chinese", heading);
      chinese.lang = "zh";
      const reading = make("span", "word-popover-pinyin", entry.pinyin);
      item.append(chinese, " ", reading);
    }
    list.append(item);
  }
  popover.append(list, make("p", "word-popover-credit", credit));
}

function wire(box) {
  if (box.dataset.ready) {
    return;
  }
  box.dataset.ready = "1";
  const link = box.querySelector("[data-word-help-toggle]");
  const popover = box.querySelector("[data-word-popover]");
  const hint = box.querySelector("[data-word-help-hint]");
  const note = box.closest(".note-content") || document;
  const roots = [note.querySelector(".note-title"), note.querySelector(".note-body")];
  const button = make("button", "word-help-toggle", box.dataset.labelOff);
  button.type = "button";
  button.setAttribute("aria-pressed", "false");
  link.replaceWith(button);
  document.body.append(popover); // positioned against the page, above every stacking context
  let glosses = null;
  let words = [];
  let current = null;

  function hide() {
    popover.hidden = true;
    if (current) {
      current.removeAttribute("aria-describedby");
      current.classList.remove("is-active");
      current = null;
    }
  }

  function show(span) {
    if (current === span && !popover.hidden) {
      return;
    }
    hide();
    fill(popover, span.dataset.word, span.lang, glosses.entries[span.dataset.word] || [], box.dataset.credit);
    popover.hidden = false;
    const rect = span.getBoundingClientRect();
    const width = popover.offsetWidth;
    const left = Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    popover.style.left = `${left}px`; // CSSOM, not an inline style attribute: allowed by the CSP
    popover.style.top = `${rect.bottom + window.scrollY + 6}px`;
    span.setAttribute("aria-describedby", popover.id);
    span.classList.add("is-active");
    current = span;
  }

  function move(span, step) {
    const at = words.indexOf(span);
    const next = step === "first" ? words[0] : step === "last" ? words[words.length - 1] : words[at + step];
    if (next) {
      span.tabIndex = -1;
      next.tabIndex = 0;
      next.focus();
    }
  }

  function on(event) {
    const span = event.target.closest && event.target.closest(`span.${WORD_CLASS}`);
    if (!span || !words.includes(span)) {
      return null;
    }
    return span;
  }

  function keydown(event) {
    const span = on(event);
    if (!span) {
      return;
    }
    const steps = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: "first", End: "last" };
    if (event.key in steps) {
      event.preventDefault();
      move(span, steps[event.key]);
    } else if (event.key === "Escape") {
      hide();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      show(span);
    }
  }

  function activate(event) {
    const span = on(event);
    if (span) {
      show(span);
    }
  }

  function leave(event) {
    const span = on(event);
    if (span && span === current && document.activeElement !== span) {
      hide();
    }
  }

  function blur(event) {
    if (on(event) === current) {
      hide();
    }
  }

  async function turnOn() {
    if (!glosses) {
      const response = await fetch(box.dataset.glossesUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) {
        throw new Error(`glosses: ${response.status}`);
      }
      glosses = await response.json();
    }
    words = [...wrap(roots[0], glosses.title, glosses.entries), ...wrap(roots[1], glosses.body, glosses.entries)];
    if (words.length) {
      words[0].tabIndex = 0;
    }
    for (const root of roots) {
      if (root) {
        root.classList.add("has-glosses");
        root.addEventListener("keydown", keydown);
        root.addEventListener("focusin", activate);
        root.addEventListener("focusout", blur);
        root.addEventListener("mouseover", activate);
        root.addEventListener("mouseout", leave);
        root.addEventListener("click", activate);
      }
    }
    button.setAttribute("aria-pressed", "true");
    button.textContent = box.dataset.labelOn;
    hint.hidden = false;
  }

  function turnOff() {
    hide();
    for (const root of roots) {
      if (root) {
        root.classList.remove("has-glosses");
        for (const [type, handler] of [["keydown", keydown], ["focusin", activate], ["focusout", blur],
          ["mouseover", activate], ["mouseout", leave], ["click", activate]]) {
          root.removeEventListener(type, handler);
        }
        unwrap(root);
      }
    }
    words = [];
    button.setAttribute("aria-pressed", "false");
    button.textContent = box.dataset.labelOff;
    hint.hidden = true;
  }

  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-pressed") === "true") {
      turnOff();
      return;
    }
    button.disabled = true;
    try {
      await turnOn();
    } catch (error) {
      hint.textContent = box.dataset.failed;
      hint.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      hide();
    }
  });
  if (box.hasAttribute("data-on")) {
    button.click();
  }
}

export function init(root = document) {
  root.querySelectorAll("[data-word-help]").forEach(wire);
}

init(document);
