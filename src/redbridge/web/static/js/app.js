// Entry point (a module: deferred, runs after the document is parsed). Each feature module exports
// init(root), which wires the elements it finds under root and is safe to call twice; content that
// HTMX swaps in is initialised again through the htmx:load event.

import * as carousel from "./carousel.js";
import * as composer from "./composer.js";
import * as feed from "./feed.js";
import * as proof from "./proof.js";
import * as share from "./share.js";
import * as translate from "./translate.js";

const modules = [feed, carousel, share, composer, proof, translate];

function init(root) {
  for (const module of modules) {
    try {
      module.init(root);
    } catch (error) {
      console.error(error);
    }
  }
}

init(document);
document.addEventListener("htmx:load", (event) => init(event.target));
