// Suggestions as you type (docs/search.md, "Suggestions, trending, history"): every search box of
// a role="search" form gets the page's <datalist id="search-suggestions">, filled from
// /api/v1/search/suggest after a pause in typing. The boxes stay plain GET forms: without this
// script (or when the request fails) searching works the same, only without suggestions.

const LIST_ID = "search-suggestions";
const PAUSE_MS = 150;

function fill(list, items) {
  list.replaceChildren(
    ...items.map((item) => {
      const option = document.createElement("option");
      option.value = item.text; // text, never HTML: the value is set as a property
      return option;
    }),
  );
}

function wire(input, list) {
  if (input.dataset.suggestWired) {
    return;
  }
  input.dataset.suggestWired = "1";
  input.setAttribute("list", LIST_ID);
  let timer = 0;
  let pending = null;
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    const typed = input.value.trim();
    if (!typed || typed.length > 64) {
      fill(list, []);
      return;
    }
    timer = window.setTimeout(async () => {
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      try {
        const response = await fetch(`/api/v1/search/suggest?q=${encodeURIComponent(typed)}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          signal: pending.signal,
        });
        if (response.ok && input.value.trim() === typed) {
          fill(list, (await response.json()).items || []);
        }
      } catch (error) {
        if (error.name !== "AbortError") {
          console.error(error);
        }
      }
    }, PAUSE_MS);
  });
}

export function init(root) {
  const list = document.getElementById(LIST_ID);
  if (!list) {
    return;
  }
  for (const input of root.querySelectorAll('form[role="search"] input[name="q"]')) {
    wire(input, list);
  }
}

init(document);
