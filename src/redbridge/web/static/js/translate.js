// The translate control (macros/ui.html translate_control): <div data-translate data-url=...>
// with a link that, without JavaScript, reloads the page with ?translate=<target>. Here the link
// fetches the API instead: "translating…" while it answers 202 (polling after Retry-After), then
// the translation with its engine credited and "Show original".

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

function show(root, link, body) {
  const box = document.createElement("div");
  box.className = "translation";
  box.dataset.translation = "";
  box.setAttribute("role", "status");
  if (body.status === "translated" || body.status === "unchanged" || body.status === "converted") {
    box.lang = body.target;
    if (body.engine) {
      box.append(paragraph(root.dataset.by.replace("{engine}", body.engine), "translation-credit muted"));
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
    link.hidden = false;
    link.focus();
  });
  box.append(original);
  root.append(box);
}

function wire(root) {
  const link = root.querySelector("a[data-translate-start]");
  if (root.dataset.ready || !link) {
    return;
  }
  root.dataset.ready = "1";
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
