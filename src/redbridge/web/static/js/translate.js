// The translate control (macros/ui.html translate_control): <div data-translate data-url=...>
// with a link that, without JavaScript, reloads the page with ?translate=<target>. Here the link
// fetches the API instead: "translating…" while it answers 202 (polling after Retry-After), then
// the translation with its engine credited and "Show original".
//
// "Always translate" (docs/translation.md): the page may have rendered the translation in place
// of the original (data-translated-of / data-original-of="kind:id", the original hidden), with a
// "Show original" link to ?translate=off; here that link becomes a button that swaps the two in
// place. A control marked data-auto was still translating when the page was rendered: it polls
// at once and, when the translation comes, shows it in the original's place the same way.

const MAX_POLLS = 60;

function sleep(seconds) {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

async function fetchTranslation(url) {
  for (let poll = 0; poll < MAX_POLLS; poll += 1) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 202) {
      await sleep(Math.min(Number(response.headers.get("Retry-After")) || 1, 10));
      continue;
    }
    const body = await response.json();
    if (!response.ok) {
      throw new Error((body.error && body.error.message) || String(response.status));
    }
    return body;
  }
  throw new Error("timeout");
}

function paragraph(text, className) {
  const p = document.createElement("p");
  if (className) {
    p.className = className;
  }
  p.textContent = text;
  return p;
}

// The answers that carry the text in the reader's language (translations.queries.READABLE).
const READABLE = ["community", "translated", "unchanged", "converted"];

// Who translated: the engine, or for a readers' translation its writer ("@name").
function translator(body) {
  return body.engine || (body.status === "community" ? body.credit : null);
}

function show(root, link, body) {
  const box = document.createElement("div");
  box.className = "translation";
  box.dataset.translation = "";
  box.setAttribute("role", "status");
  if (READABLE.includes(body.status)) {
    box.lang = body.target;
    if (translator(body)) {
      box.append(paragraph(root.dataset.by.replace("{engine}", translator(body)), "translation-credit muted"));
    }
    if (body.title) {
      box.append(paragraph(body.title, "translation-title"));
    }
    if (body.body) {
      const text = paragraph(body.body, "user-text");
      box.append(text);
    }
  } else {
    box.append(paragraph(body.notice || root.dataset.failed, "muted"));
    for (const gloss of (body.glosses || []).slice(0, 20)) {
      const entry = gloss.entries[0];
      box.append(paragraph(`${gloss.word} ${entry.pinyin} ${entry.senses.slice(0, 3).join("; ")}`, "gloss"));
    }
    if (body.credit) {
      box.append(paragraph(body.credit, "muted small"));
    }
  }
  const original = document.createElement("button");
  original.type = "button";
  original.className = "link";
  original.dataset.translateOriginal = "";
  original.textContent = root.dataset.original;
  original.addEventListener("click", () => {
    box.remove();
    if (link) {
      link.hidden = false;
      link.focus();
    }
  });
  box.append(original);
  root.append(box);
}

function pair(key) {
  const quoted = CSS.escape(key);
  return {
    translated: document.querySelector(`[data-translated-of="${quoted}"]`),
    original: document.querySelector(`[data-original-of="${quoted}"]`),
  };
}

// A button that shows the original in the translation's place and back (both stay in the page).
function swapButton(root) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "link";
  button.dataset.translateOriginal = "";
  button.textContent = root.dataset.original;
  button.addEventListener("click", () => {
    const { translated, original } = pair(root.dataset.key);
    if (!translated || !original) {
      return;
    }
    const showOriginal = original.hidden;
    original.hidden = !showOriginal;
    translated.hidden = showOriginal;
    button.textContent = showOriginal ? root.dataset.translation : root.dataset.original;
  });
  return button;
}

// The polled answer of a data-auto control, in the original's place when it is readable.
function showFirst(root, body) {
  const { original } = pair(root.dataset.key);
  if (!original || !READABLE.includes(body.status)) {
    return false;
  }
  const box = document.createElement(original.tagName === "P" ? "p" : "div");
  box.className = original.className;
  box.classList.remove("note-original");
  box.classList.add("translated-first");
  box.dataset.translatedOf = root.dataset.key;
  box.lang = body.target;
  if (box.tagName === "DIV") {
    if (body.title) {
      // A heading, as the original's: the page keeps one visible h1 either way.
      const title = document.createElement("h1");
      title.className = "note-title";
      title.dir = "auto";
      title.textContent = body.title;
      box.append(title);
    }
    if (body.body) {
      box.append(paragraph(body.body, "note-body user-text"));
    }
  } else {
    box.textContent = body.body || "";
  }
  original.before(box);
  original.hidden = true;
  const tools = document.createElement("div");
  tools.className = "translation-first-tools";
  tools.dataset.translationFirst = "";
  if (translator(body)) {
    tools.append(paragraph(root.dataset.by.replace("{engine}", translator(body)), "translation-credit muted"));
  }
  tools.append(swapButton(root));
  root.append(tools);
  return true;
}

async function autoTranslate(root) {
  const pending = root.querySelector(".translation-pending");
  try {
    const body = await fetchTranslation(root.dataset.url);
    if (pending) {
      pending.remove();
    }
    if (!showFirst(root, body)) {
      show(root, null, body);
    }
  } catch (error) {
    // The page already says "translating…" with a reload link: leave it for the reader.
  }
}

function wire(root) {
  if (root.dataset.ready) {
    return;
  }
  root.dataset.ready = "1";
  const swap = root.querySelector("a[data-translate-original][data-swap]");
  if (swap) {
    swap.replaceWith(swapButton(root));
  }
  if ("auto" in root.dataset) {
    autoTranslate(root);
  }
  const link = root.querySelector("a[data-translate-start]");
  if (!link) {
    return;
  }
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    link.hidden = true;
    const pending = paragraph(root.dataset.pending, "translation-pending muted");
    pending.setAttribute("role", "status");
    root.append(pending);
    try {
      show(root, link, await fetchTranslation(root.dataset.url));
    } catch (error) {
      show(root, link, { status: "failed", notice: root.dataset.failed });
    } finally {
      pending.remove();
    }
  });
}

export function init(root = document) {
  root.querySelectorAll("[data-translate]").forEach(wire);
}
