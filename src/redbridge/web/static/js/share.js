// "Copy link" buttons: <button data-copy="#input-id" data-copied="Copied" hidden>. The button is
// hidden in the HTML and shown only here, where copying can work; without JavaScript the link
// stays visible (and selectable) in its read-only field.

function wire(button) {
  if (button.dataset.ready || !navigator.clipboard) {
    return;
  }
  const source = document.querySelector(button.dataset.copy);
  if (!source) {
    return;
  }
  button.dataset.ready = "1";
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value || source.textContent || "");
      button.textContent = button.dataset.copied || label;
      setTimeout(() => {
        button.textContent = label;
      }, 2000);
    } catch (error) {
      source.select();
    }
  });
}

export function init(root = document) {
  root.querySelectorAll("button[data-copy]").forEach(wire);
}
