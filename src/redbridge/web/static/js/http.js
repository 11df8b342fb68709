// Small fetch helpers shared by the page modules.
//
// The CSRF token of the viewer's session is in <meta name="csrf-token"> (and, for HTMX, in the
// hx-headers attribute on <body>); every unsafe request sends it as X-CSRF-Token.

/** The page's CSRF token, or "" for an anonymous page. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") || "" : "";
}

/** GET an HTML fragment (same origin, cookies included); rejects on a non-2xx answer. */
export async function fetchHTML(url, options = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "text/html", "X-Requested-With": "fetch" },
    ...options,
  });
  if (!response.ok) {
    throw new Error(`GET ${url}: ${response.status}`);
  }
  return response.text();
}

/** POST a FormData (or URLSearchParams) with the CSRF header; resolves to the Response. */
export function postForm(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() },
    body,
  });
}

/** Parse trusted same-origin HTML into a DocumentFragment (scripts in it never run). */
export function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}
