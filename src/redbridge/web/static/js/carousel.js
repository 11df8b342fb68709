// The note carousel: a CSS scroll-snap strip (swipe and scroll work without JavaScript). This
// adds position dots, previous / next buttons, arrow keys, and the "2 / 5" status.

function build(carousel) {
  const strip = carousel.querySelector(".slides");
  const slides = strip ? Array.from(strip.children) : [];
  if (!strip || slides.length < 2 || carousel.dataset.ready) {
    return;
  }
  carousel.dataset.ready = "1";
  const status = carousel.querySelector("[data-carousel-status]");
  let current = 0;

  const dots = document.createElement("div");
  dots.className = "dots";
  const buttons = slides.map((slide, index) => {
    const dot = document.createElement("button");
    dot.type = "button";
    dot.className = "dot";
    dot.setAttribute("aria-label", slide.getAttribute("aria-label") || String(index + 1));
    dot.addEventListener("click", () => go(index));
    dots.append(dot);
    return dot;
  });
  carousel.append(dots);

  const arrow = (label, step, className) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = `arrow ${className}`;
    button.setAttribute("aria-label", label);
    button.textContent = step < 0 ? "‹" : "›";
    button.addEventListener("click", () => go(current + step));
    carousel.append(button);
    return button;
  };
  const previous = arrow(carousel.dataset.previousLabel || "Previous", -1, "arrow-prev");
  const next = arrow(carousel.dataset.nextLabel || "Next", 1, "arrow-next");

  function show(index) {
    current = index;
    buttons.forEach((dot, i) => dot.setAttribute("aria-current", i === index ? "true" : "false"));
    previous.disabled = index === 0;
    next.disabled = index === slides.length - 1;
    if (status) {
      status.textContent = `${index + 1} / ${slides.length}`;
    }
  }

  // The slide a button or key sent the strip to, while its scroll is on the way. Until it gets
  // there, the observer's reports of the slides it passes (or of where it started, delivered
  // late on a busy machine) are not where the reader is going: taking them would put the counter
  // and the next key press back on a slide already left.
  let heading = null;

  function go(index) {
    const target = Math.max(0, Math.min(slides.length - 1, index));
    const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const left = slides[target].offsetLeft - strip.offsetLeft;
    heading = Math.abs(strip.scrollLeft - left) > 1 ? target : null;
    strip.scrollTo({ left, behavior: reduce ? "auto" : "smooth" });
    show(target);
  }

  // Wherever a scroll ends is where the reader is (also after a swipe that cut a scroll short).
  strip.addEventListener("scrollend", () => {
    heading = null;
    const nearest = slides.reduce((best, slide, i) =>
      Math.abs(slide.offsetLeft - strip.offsetLeft - strip.scrollLeft)
        < Math.abs(slides[best].offsetLeft - strip.offsetLeft - strip.scrollLeft) ? i : best, 0);
    show(nearest);
  });

  strip.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight") {
      go(current + 1);
      event.preventDefault();
    } else if (event.key === "ArrowLeft") {
      go(current - 1);
      event.preventDefault();
    }
  });

  // Follow swipes and scrolls: the slide most in view is the current one.
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (entry.isIntersecting && entry.intersectionRatio >= 0.6) {
          const index = slides.indexOf(entry.target);
          if (heading === null || heading === index) {
            heading = null;
            show(index);
          }
        }
      }
    },
    { root: strip, threshold: [0.6] },
  );
  slides.forEach((slide) => observer.observe(slide));
  show(0);
}

export function init(root = document) {
  root.querySelectorAll("[data-carousel]").forEach(build);
}
