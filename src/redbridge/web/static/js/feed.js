// Infinite scroll for note feeds.
//
// Without JavaScript a feed ends in a "Load more" link to the next page. Here, when that link
// comes within a screen of the viewport, its data-partial URL (the same page with partial=1) is
// fetched and the returned cards — a masonry block of their own, plus the next link — are put
// in place of the link. A failed fetch leaves the plain link working.

import { fetchHTML, fragment } from "./http.js";

function watch(more, observer) {
  const link = more.querySelector("a[data-partial]");
  if (link && link.dataset.partial && !more.dataset.watched) {
    more.dataset.watched = "1";
    observer.observe(more);
  }
}

async function load(more, observer) {
  observer.unobserve(more);
  const link = more.querySelector("a[data-partial]");
  if (!link || more.dataset.loading) {
    return;
  }
  more.dataset.loading = "1";
  more.setAttribute("aria-busy", "true");
  try {
    const html = await fetchHTML(link.dataset.partial);
    const content = fragment(html);
    const next = content.querySelector("[data-more]");
    more.replaceWith(content);
    if (next) {
      watch(next, observer);
    }
  } catch (error) {
    delete more.dataset.loading;
    more.removeAttribute("aria-busy");
  }
}

export function init(root = document) {
  if (!("IntersectionObserver" in window)) {
    return;
  }
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting) {
          load(entry.target, observer);
        }
      }
    },
    { rootMargin: "0px 0px 100% 0px" },
  );
  root.querySelectorAll("[data-feed] [data-more]").forEach((more) => watch(more, observer));
}
