// The composer (pages/compose.html, form[data-composer]).
//
// Without this module the form posts its files with the text (multipart) and the server stores
// them. With it, each picked file is uploaded at once to POST /api/v1/media (XMLHttpRequest, for
// upload progress; the session cookie plus the X-CSRF-Token header authorise it), the file input
// is cleared, and the tile gets a hidden media_ids field: the form then posts ids only, so no
// file travels twice. Tile order in the page is carousel order: drag and drop, or the move
// buttons (keyboard), rearrange the tiles. A failed upload marks its tile with the API's message
// (already in the reader's language) and leaves everything typed alone.

import { csrfToken } from "./http.js";

const POLL_MS = 2000;
const POLL_TRIES = 90; // three minutes for a video poster
const VIDEO_SUFFIXES = [".mp4", ".mov", ".webm"];
// Previews the browser can draw from the local file (HEIC usually not: its tile waits for the
// server's thumbnail).
const PREVIEWABLE = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"];

const inflight = new WeakMap(); // tile -> XMLHttpRequest, so removing a tile cancels its upload

function isVideo(file) {
  const name = (file.name || "").toLowerCase();
  return (file.type || "").startsWith("video/") || VIDEO_SUFFIXES.some((s) => name.endsWith(s));
}

function tilesOf(form) {
  return form.querySelector("[data-tiles]");
}

/** Tiles that are (or will be) part of the note: not the ones whose upload failed. */
function liveTiles(form) {
  return Array.from(tilesOf(form).querySelectorAll('.upload-tile:not([data-state="error"])'));
}

function say(form, message) {
  const status = form.querySelector("[data-status]");
  if (!status) {
    return;
  }
  status.textContent = message || "";
  status.hidden = !message;
}

function announce(form, tile) {
  const live = form.querySelector("[data-announce]");
  const tiles = liveTiles(form);
  const index = tiles.indexOf(tile);
  if (live && index >= 0) {
    live.textContent = (form.dataset.msgMoved || "")
      .replace("{index}", String(index + 1))
      .replace("{total}", String(tiles.length));
  }
}

// ------------------------------------------------------------------------------ tiles

function move(form, tile, step) {
  const list = tilesOf(form);
  if (step < 0 && tile.previousElementSibling) {
    list.insertBefore(tile, tile.previousElementSibling);
  } else if (step > 0 && tile.nextElementSibling) {
    list.insertBefore(tile.nextElementSibling, tile);
  }
  announce(form, tile);
}

function remove(form, tile) {
  const request = inflight.get(tile);
  if (request) {
    request.abort();
  }
  const next = tile.nextElementSibling || tile.previousElementSibling;
  tile.remove();
  say(form, "");
  // Keep keyboard focus in the list rather than dropping it on <body>.
  const target = next && next.querySelector("[data-remove]");
  (target || form.querySelector('input[name="files"]') || form).focus();
}

function enhanceTile(form, tile) {
  if (tile.dataset.ready) {
    return;
  }
  tile.dataset.ready = "1";
  tile.draggable = true;
  const tools = tile.querySelector("[data-tools]");
  if (tools) {
    tools.hidden = false;
  }
  tile.querySelectorAll("[data-move]").forEach((button) => {
    button.addEventListener("click", () => {
      move(form, tile, Number(button.dataset.move));
      button.focus();
    });
  });
  const drop = tile.querySelector("[data-remove]");
  if (drop) {
    drop.addEventListener("click", () => remove(form, tile));
  }
}

function wireDragAndDrop(form) {
  const list = tilesOf(form);
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest(".upload-tile");
    if (!dragged) {
      return;
    }
    dragged.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.id || ""); // Firefox starts no drag without data
  });
  list.addEventListener("dragover", (event) => {
    if (!dragged) {
      return;
    }
    event.preventDefault();
    const over = event.target.closest(".upload-tile");
    if (!over || over === dragged) {
      return;
    }
    const tiles = Array.from(list.children);
    const after = tiles.indexOf(dragged) < tiles.indexOf(over);
    list.insertBefore(dragged, after ? over.nextElementSibling : over);
  });
  list.addEventListener("drop", (event) => {
    if (dragged) {
      event.preventDefault();
    }
  });
  list.addEventListener("dragend", () => {
    if (dragged) {
      dragged.classList.remove("is-dragging");
      announce(form, dragged);
    }
    dragged = null;
  });
}

// ---------------------------------------------------------------------------- uploads

function fail(form, tile, message) {
  inflight.delete(tile);
  tile.dataset.state = "error";
  const field = tile.querySelector('input[name="media_ids"]');
  if (field) {
    field.remove();
  }
  const progress = tile.querySelector(".tile-progress");
  if (progress) {
    progress.hidden = true;
  }
  const error = tile.querySelector(".tile-error");
  error.textContent = message || form.dataset.msgNetwork || "";
  error.hidden = false;
}

function showThumb(tile, media) {
  const url = media.thumb_url || (media.kind === "image" ? media.url : null);
  const img = tile.querySelector(".tile-thumb");
  const placeholder = tile.querySelector(".tile-placeholder");
  if (url && img) {
    if (img.src.startsWith("blob:")) {
      URL.revokeObjectURL(img.src);
    }
    img.src = url;
    img.hidden = false;
    if (placeholder) {
      placeholder.hidden = true;
    }
  } else if (placeholder) {
    placeholder.hidden = false;
  }
}

async function waitForPoster(form, tile, mediaId) {
  for (let attempt = 0; attempt < POLL_TRIES && tile.isConnected; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    let media;
    try {
      const response = await fetch(`${form.dataset.uploadUrl}/${encodeURIComponent(mediaId)}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) {
        continue;
      }
      media = await response.json();
    } catch (error) {
      continue; // a blip: try again on the next round
    }
    if (media.status === "ready") {
      showThumb(tile, media);
      return;
    }
    if (media.status === "failed") {
      fail(form, tile, form.dataset.msgVideoFailed);
      return;
    }
  }
}

function uploaded(form, tile, media) {
  inflight.delete(tile);
  tile.dataset.state = "done";
  tile.dataset.id = media.id;
  tile.dataset.kind = media.kind;
  const field = document.createElement("input");
  field.type = "hidden";
  field.name = "media_ids";
  field.value = media.id;
  tile.append(field);
  tile.querySelector(".tile-progress").hidden = true;
  showThumb(tile, media);
  if (media.kind === "video" && media.status === "pending") {
    waitForPoster(form, tile, media.id);
  }
}

function upload(form, file) {
  const template = document.getElementById("upload-tile-template");
  const tile = template.content.firstElementChild.cloneNode(true);
  tile.dataset.kind = isVideo(file) ? "video" : "image";
  tile.querySelector(".tile-name").textContent = file.name;
  tilesOf(form).append(tile);
  enhanceTile(form, tile);
  const img = tile.querySelector(".tile-thumb");
  if (!isVideo(file) && PREVIEWABLE.includes(file.type)) {
    img.src = URL.createObjectURL(file);
    img.alt = form.dataset.altPreview || "";
    img.hidden = false;
  } else {
    tile.querySelector(".tile-placeholder").hidden = !isVideo(file);
  }

  const progress = tile.querySelector(".tile-progress");
  const body = new FormData();
  body.append("file", file);
  const request = new XMLHttpRequest();
  inflight.set(tile, request);
  request.open("POST", form.dataset.uploadUrl);
  request.setRequestHeader("X-CSRF-Token", csrfToken());
  request.setRequestHeader("Accept", "application/json");
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) {
      progress.value = Math.round((event.loaded / event.total) * 100);
    }
  });
  request.addEventListener("load", () => {
    let data = null;
    try {
      data = JSON.parse(request.responseText);
    } catch (error) {
      data = null;
    }
    if (request.status === 201 && data && data.id) {
      uploaded(form, tile, data);
    } else {
      fail(form, tile, data && data.error ? data.error.message : "");
    }
  });
  request.addEventListener("error", () => fail(form, tile, ""));
  request.send(body);
}

function pick(form, input) {
  const files = Array.from(input.files || []);
  // The files now go up one by one; cleared here so the form never posts them as well.
  input.value = "";
  if (!files.length) {
    return;
  }
  const current = liveTiles(form);
  const videos = files.filter(isVideo).length;
  const hasVideo = current.some((tile) => tile.dataset.kind === "video") || form.dataset.kind === "video";
  if (videos && (files.length > 1 || current.length)) {
    say(form, form.dataset.msgOneVideo);
    return;
  }
  if (hasVideo || (videos && form.dataset.kind === "image")) {
    say(form, form.dataset.msgOneVideo);
    return;
  }
  if (current.length + files.length > Number(form.dataset.maxFiles || 18)) {
    say(form, form.dataset.msgTooMany);
    return;
  }
  say(form, "");
  files.forEach((file) => upload(form, file));
}

// ------------------------------------------------------------------------- the fields

function wireCounters(form) {
  form.querySelectorAll("[data-counter]").forEach((field) => {
    const counter = document.getElementById(field.dataset.counter);
    const count = counter && counter.querySelector("[data-count]");
    if (!count) {
      return;
    }
    const max = Number(field.getAttribute("maxlength")) || 0;
    const update = () => {
      // Characters as the server counts them (code points), not UTF-16 units.
      const length = Array.from(field.value).length;
      count.textContent = String(length);
      counter.classList.toggle("is-full", max > 0 && length >= max);
    };
    field.addEventListener("input", update);
    update();
  });
}

function wireTagChips(form) {
  const box = form.querySelector("[data-tag-suggestions]");
  const input = form.querySelector('input[name="tags"]');
  if (!box || !input) {
    return;
  }
  box.hidden = false;
  box.querySelectorAll("[data-tag]").forEach((chip) => {
    chip.addEventListener("click", () => {
      const tag = chip.dataset.tag;
      const typed = input.value.split(/[\s,，、;；#＃]+/).filter(Boolean);
      if (!typed.includes(tag)) {
        const value = input.value.trim().replace(/[,，]$/, "");
        input.value = value ? `${value}, ${tag}` : tag;
      }
      chip.setAttribute("aria-pressed", "true");
      input.focus();
    });
  });
}

function wire(form) {
  if (form.dataset.ready) {
    return;
  }
  form.dataset.ready = "1";
  form.classList.add("is-enhanced");
  const list = tilesOf(form);
  // The position numbers and remove boxes are for pages without JavaScript; here the tile order
  // itself is the order and removing a tile removes it.
  list.querySelectorAll("[data-nojs]").forEach((element) => element.remove());
  list.querySelectorAll(".upload-tile").forEach((tile) => enhanceTile(form, tile));
  wireDragAndDrop(form);
  wireCounters(form);
  wireTagChips(form);

  const input = form.querySelector('input[name="files"]');
  if (input) {
    input.addEventListener("change", () => pick(form, input));
    // Coming back through the history: the input was disabled by the submit below.
    window.addEventListener("pageshow", () => {
      input.disabled = false;
    });
  }
  form.addEventListener("submit", (event) => {
    if (list.querySelector('.upload-tile[data-state="uploading"]')) {
      event.preventDefault();
      say(form, form.dataset.msgWait);
      return;
    }
    if (input) {
      input.disabled = true;
    }
  });
}

export function init(root = document) {
  root.querySelectorAll("form[data-composer]").forEach(wire);
}
