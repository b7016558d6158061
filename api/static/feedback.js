/* 👍/👎 and an optional comment under any answer on a page: POST /v1/feedback.
 *
 * Load it with /static/feedback.css, then mark each answer's container:
 *
 *   <div data-feedback-question="Hvad er Vejles mål for …?"
 *        data-feedback-answer="Vejle vil … [1]"
 *        data-feedback-citations='[{"n":1,"doc_id":"vejle-2022","municipality":"Vejle","year":2022,
 *                                   "quote":"…","start":120,"end":180,"role":"evidence"}]'
 *        data-feedback-conversation-id="(optional: 32 hex)">
 *     … the answer …
 *   </div>
 *
 * The controls are appended inside that element (so it must be able to hold
 * a <div>: a <div>, <td>, <li>, <section>, not a <tr>). Citations are the
 * answer's citation objects as /v1/ask or /v1/compare return them (JSON in
 * the attribute, HTML-escaped by the page); a quote that is in its
 * document at start/end is stored verbatim, anything else redacted.
 * Elements present when the script runs get the controls; call
 * window.planchatFeedback.attach(root) for elements added later (idempotent).
 * A click on 👍 or 👎 chooses, "Send feedback" sends, with the comment if
 * one was written. An admin key saved in this tab (admin-key.js) is sent too.
 * Events on the element: planchat:feedback (detail: the server's answer).
 */
(() => {
  "use strict";

  const TEXT = {
    group: "Feedback på svaret",
    ask: "Var svaret nyttigt?",
    up: "Nyttigt",
    down: "Ikke nyttigt",
    comment: "Kommentar (valgfri)",
    send: "Send feedback",
    thanks: "Tak for din feedback.",
    failed: "Feedback kunne ikke gemmes: ",
    tooMany: "for mange forespørgsler på kort tid. Prøv igen om lidt.",
    network: "ingen forbindelse til serveren.",
  };
  let sequence = 0;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  function adminKey() {
    try { return sessionStorage.getItem("planchat:admin-key") || ""; } catch (e) { return ""; }
  }

  function citationsOf(host) {
    try {
      const parsed = JSON.parse(host.dataset.feedbackCitations || "[]");
      return Array.isArray(parsed) ? parsed : [];
    } catch (e) { return []; }
  }

  async function send(host, rating, comment) {
    const body = {
      question: host.dataset.feedbackQuestion || "",
      answer: host.dataset.feedbackAnswer || "",
      citations: citationsOf(host),
      rating,
    };
    if (comment.trim()) body.comment = comment.trim();
    if (host.dataset.feedbackConversationId) body.conversation_id = host.dataset.feedbackConversationId;
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const key = adminKey();
    if (key) headers.Authorization = "Bearer " + key;
    const response = await fetch("/v1/feedback", { method: "POST", headers, body: JSON.stringify(body) });
    if (response.ok) return response.json();
    if (response.status === 429) throw new Error(TEXT.tooMany);
    let message = `fejl ${response.status}`;
    try { message = (await response.json()).error.message || message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }

  function controls(host) {
    const id = "planchat-feedback-" + ++sequence;
    let rating = null;
    const status = el("span", { class: "status", role: "status" });
    // The icon is decoration (and a box where no emoji font is installed): the words name the button.
    const buttons = ["up", "down"].map((value) => el("button", {
      type: "button", class: "rating", "data-rating": value, "aria-pressed": "false",
    }, el("span", { "aria-hidden": "true", text: value === "up" ? "👍 " : "👎 " }), TEXT[value]));
    const textarea = el("textarea", { id: id + "-comment", maxlength: "2000", rows: "2" });
    const sendButton = el("button", { type: "button", class: "send", text: TEXT.send });
    const comment = el("div", { class: "comment", hidden: "" },
      el("label", { for: id + "-comment", text: TEXT.comment }), textarea, sendButton);
    const group = el("div", { class: "planchat-feedback", role: "group", "aria-label": TEXT.group },
      el("span", { text: TEXT.ask }), ...buttons, comment, status);
    for (const button of buttons) {
      button.addEventListener("click", () => {
        rating = button.dataset.rating;
        for (const other of buttons) other.setAttribute("aria-pressed", other === button ? "true" : "false");
        comment.hidden = false;
        textarea.focus();
      });
    }
    sendButton.addEventListener("click", async () => {
      if (!rating) return;
      sendButton.disabled = true;
      try {
        const stored = await send(host, rating, textarea.value);
        comment.hidden = true;
        for (const button of buttons) button.disabled = true;
        status.textContent = TEXT.thanks;
        host.dispatchEvent(new CustomEvent("planchat:feedback", { detail: stored, bubbles: true }));
      } catch (e) {
        status.textContent = TEXT.failed + (e.message || TEXT.network);
        sendButton.disabled = false;
      }
    });
    return group;
  }

  function attach(root) {
    const scope = root || document;
    const hosts = [...scope.querySelectorAll("[data-feedback-question]")];
    if (scope instanceof Element && scope.matches("[data-feedback-question]")) hosts.unshift(scope);
    for (const host of hosts) {
      if (host.querySelector(":scope > .planchat-feedback")) continue;
      host.append(controls(host));
    }
  }

  window.planchatFeedback = { attach };
  attach(document);
})();
