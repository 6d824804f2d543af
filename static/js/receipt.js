// The receipt's "Print" button (inline handlers are forbidden by the Content-Security-Policy).
document.querySelectorAll("[data-print-receipt]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
