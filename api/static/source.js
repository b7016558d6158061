/* The source viewer (GET /documents/{doc_id}?start=&end=): bring the cited span into view and give it focus,
 * so the reader lands on the quote and a keyboard or screen-reader user starts reading there. */
(() => {
  "use strict";
  const cited = document.getElementById("cited");
  if (!cited) return;
  const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  cited.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" });
  cited.focus({ preventScroll: true });
})();
