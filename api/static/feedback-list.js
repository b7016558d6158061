/* /feedback (api/pages/feedback.py): the stored feedback, from GET /v1/feedback
 * with the admin key (admin-key.js), 50 at a time, newest first. Every
 * server string is set as text, never parsed as HTML. */
(() => {
  "use strict";

  const admin = window.planchatAdmin;
  const form = document.getElementById("feedback-filter");
  const select = document.getElementById("feedback-rating");
  const table = document.getElementById("feedback-table");
  const rows = document.getElementById("feedback-rows");
  const more = document.getElementById("feedback-more");
  const message = document.getElementById("feedback-message");
  const PAGE = 50;
  let offset = 0;
  let latest = 0; // the newest request: an older one's answer is dropped

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  function sourceLink(c) {
    const where = [c.municipality, c.year].filter(Boolean).join(" ") + (c.page ? `, s. ${c.page}` : "");
    const label = `[${c.n ?? "?"}] ${where || "kilde"}`;
    if (!c.doc_id || !c.verified) return el("span", { text: label });
    const params = new URLSearchParams();
    if (Number.isInteger(c.start) && Number.isInteger(c.end)) { params.set("start", c.start); params.set("end", c.end); }
    const query = params.toString();
    return el("a", { href: `/documents/${encodeURIComponent(c.doc_id)}${query ? "?" + query : ""}`, text: label });
  }

  function row(entry) {
    const when = new Date(entry.created_at * 1000).toLocaleString("da-DK");
    const rating = entry.rating === "up" ? "👍 Nyttigt" : "👎 Ikke nyttigt";
    const citations = el("ol", {}, ...(entry.citations || []).map((c) =>
      el("li", {}, sourceLink(c), el("blockquote", { text: c.quote || "" }))));
    const details = el("details", { class: "answer-details" },
      el("summary", { text: `Svar og ${(entry.citations || []).length} kilder` }),
      el("div", { text: entry.answer || "" }), citations);
    return el("tr", { "data-feedback-id": String(entry.feedback_id) },
      el("td", { text: when }), el("td", { text: rating }),
      el("td", { class: "feedback-text", text: entry.question }),
      el("td", { class: "feedback-text", text: entry.comment || "–" }), el("td", {}, details));
  }

  async function load(reset) {
    if (!admin.key()) {
      message.textContent = "Skriv admin-nøglen for at se feedbacken.";
      return;
    }
    const start = reset ? 0 : offset;
    const request = ++latest;
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(start) });
    if (select.value) params.set("rating", select.value);
    message.textContent = "Henter …";
    try {
      const response = await fetch("/v1/feedback?" + params, { headers: admin.headers() });
      if (request !== latest) return;
      if (!response.ok) {
        message.textContent = await admin.errorMessage(response);
        return;
      }
      const data = await response.json();
      if (request !== latest) return;
      if (reset) rows.replaceChildren();
      rows.append(...data.feedback.map(row));
      offset = start + data.feedback.length;
      table.hidden = data.total === 0;
      more.hidden = offset >= data.total;
      message.textContent = data.total === 0 ? "Ingen feedback endnu." : `Viser ${offset} af ${data.total}.`;
    } catch (e) {
      message.textContent = "Kunne ikke få forbindelse til serveren. Prøv igen.";
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    load(true);
  });
  more.addEventListener("click", () => load(false));
  document.addEventListener("planchat:admin-key", () => load(true));
  if (admin.key()) load(true);
})();
