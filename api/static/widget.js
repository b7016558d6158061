/* planchat widget: one <script src="https://<server>/widget.js"></script>
 * adds a launcher button ("Spørg planerne") and a chat panel that asks
 * POST /v1/ask/stream and shows the answer with its verbatim citations.
 *
 * Attributes on the script tag (all optional):
 *   data-open="true"      open the panel at load and focus the question box
 *   data-api-base="URL"   the planchat server (default: the origin of this script)
 *   data-api-key="KEY"    a READ key (PLANCHAT_READ_KEYS), sent as "Authorization: Bearer KEY";
 *                         never the admin key (PLANCHAT_API_KEY): anyone can read it in the page
 *
 * A conversation's id and its token (given once, when the conversation
 * starts) are kept in sessionStorage for this tab; the token goes with every
 * follow-up and reload as "X-Conversation-Token", so no one else can read
 * or continue the conversation.
 *
 * Guarantees: server text (answers, quotes, titles, errors) is only ever put
 * in the page with textContent / text nodes, never parsed as HTML; the
 * widget lives in an open Shadow DOM so the host page's CSS cannot break it
 * and its CSS cannot leak out; no external resources are loaded. A citation
 * marker button is placed only where the server's answer says one is
 * (answer.markers), never where the text merely looks like "[1]": plan text
 * quoting "[1]" or «[2]» stays text.
 *
 * Under every answer, 👍/👎 and an optional comment go to POST /v1/feedback
 * (question, answer, citations, conversation id; stored redacted).
 *
 * Events, dispatched on the host element (bubbling, composed), for embedders
 * and tests: planchat:meta, planchat:delta, planchat:draft, planchat:upgrade,
 * planchat:done, planchat:error, planchat:feedback; the SSE event's (or
 * feedback answer's) data is in event.detail.
 *
 * With an LLM on the server, the extractive answer arrives at once as a
 * draft, shown whole with a small «Forbedrer svaret …» line; an upgrade (the
 * LLM's checked answer) replaces it, or done leaves it with the server's
 * notice.
 */
(() => {
  "use strict";

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const options = (script && script.dataset) || {};
  const API_BASE = (
    options.apiBase || (script && script.src ? new URL(script.src, location.href).origin : location.origin)
  ).replace(/\/+$/, "");
  const API_KEY = options.apiKey || "";
  const START_OPEN = options.open === "true";
  const STORAGE_KEY = "planchat:conversation:" + API_BASE;

  const TEXT = {
    launcher: "Spørg planerne",
    dialog: "planchat – spørg beskæftigelsesplanerne",
    title: "Spørg planerne",
    close: "Luk",
    closeLabel: "Luk panelet",
    newConversation: "Ny samtale",
    newConversationDone: "Ny samtale startet.",
    filter: "Kommune",
    allMunicipalities: "Alle kommuner",
    log: "Samtale",
    question: "Dit spørgsmål",
    placeholder: "Skriv dit spørgsmål …",
    send: "Send",
    hint: "Enter sender, Shift+Enter giver ny linje.",
    empty:
      "Stil et spørgsmål om kommunernes beskæftigelsesplaner. Svarene er ordrette citater fra planerne med kildehenvisning.",
    you: "Du",
    bot: "planchat",
    searching: "Søger i planerne …",
    improving: "Forbedrer svaret …",
    understoodAs: "Forstået som: ",
    sources: "Kilder",
    seeAlso: "Se også",
    page: "s.",
    section: "Afsnit: ",
    // A citation whose quote OCR read from a scanned page (citation.ocr): verbatim, but maybe misread.
    ocr: "tekst genkendt fra scannet side",
    showInPlan: "Vis i planen",
    source: "Kilde ",
    copy: "Kopiér svar",
    copied: "Kopieret",
    copyFailed: "Kunne ikke kopiere",
    feedbackGroup: "Feedback på svaret",
    feedbackAsk: "Var svaret nyttigt?",
    feedbackUp: "Nyttigt",
    feedbackDown: "Ikke nyttigt",
    feedbackComment: "Kommentar (valgfri)",
    feedbackSend: "Send feedback",
    feedbackThanks: "Tak for din feedback.",
    feedbackFailed: "Feedback kunne ikke gemmes. ",
    errorLead: "Spørgsmålet kunne ikke besvares. ",
    errorStatus: (status) => `Serveren svarede med fejl ${status}.`,
    errorNetwork: "Kunne ikke få forbindelse til planchat-serveren. Prøv igen om lidt.",
    errorCut: "Forbindelsen blev afbrudt, før svaret var færdigt. Prøv igen.",
    errorUnexpected: "Serveren sendte et svar, widgetten ikke forstår.",
    // A 429: the server's own message names its settings; a user gets this, with Retry-After's wait.
    errorTooMany: (seconds) => "Der er stillet for mange spørgsmål på kort tid. " + (
      !seconds ? "Vent lidt, og prøv igen."
        : seconds >= 120 ? `Prøv igen om ${Math.ceil(seconds / 60)} minutter.`
        : seconds === 1 ? "Prøv igen om 1 sekund." : `Prøv igen om ${seconds} sekunder.`),
  };

  const CSS = `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.planchat-root {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  font-size: 16px; line-height: 1.45; color: #1b1b1b;
}
button, select, textarea { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.planchat-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.planchat-launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  border: 0; border-radius: 999px; padding: 12px 20px; cursor: pointer;
  background: #1d4f91; color: #fff; font-weight: 600; box-shadow: 0 4px 14px rgba(0,0,0,.25);
}
.planchat-launcher:hover { background: #163d71; }
.planchat-panel {
  position: fixed; right: 20px; bottom: 80px; z-index: 2147483001;
  width: 420px; max-width: calc(100vw - 40px); height: 640px; max-height: calc(100vh - 100px);
  display: flex; flex-direction: column; background: #fff;
  border: 1px solid #c9d1d9; border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.25); overflow: hidden;
}
.planchat-header {
  display: flex; align-items: center; gap: 8px; padding: 10px 12px;
  background: #1d4f91; color: #fff;
}
.planchat-title { flex: 1; min-width: 0; margin: 0; font-size: 17px; font-weight: 600; overflow-wrap: anywhere; }
.planchat-header button {
  background: transparent; color: #fff; border: 1px solid rgba(255,255,255,.7); border-radius: 6px;
  padding: 4px 10px; cursor: pointer; font-size: 14px; white-space: nowrap;
}
.planchat-header button:hover { background: rgba(255,255,255,.15); }
.planchat-filter { display: flex; align-items: center; gap: 8px; padding: 8px 12px; border-bottom: 1px solid #e1e4e8; font-size: 14px; }
.planchat-filter select { flex: 1; min-width: 0; width: 100%; padding: 5px 6px; border: 1px solid #8c959f; border-radius: 6px; background: #fff; }
.planchat-log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 12px; }
.planchat-empty { color: #555; margin: 0; }
.planchat-msg { border-radius: 10px; padding: 10px 12px; max-width: 100%; overflow-wrap: anywhere; }
.planchat-msg p { margin: 0; }
.planchat-user { align-self: flex-end; background: #e6eef9; max-width: 85%; white-space: pre-wrap; }
.planchat-bot { align-self: stretch; background: #f5f6f7; border: 1px solid #e1e4e8; }
.planchat-understood { font-size: 13px; color: #555; margin-bottom: 6px !important; }
.planchat-answer { white-space: pre-wrap; }
.planchat-list { margin: 4px 0; padding-left: 1.4em; }
.planchat-list li { margin: 3px 0; }
.planchat-list-note { color: #555; font-size: 14px; }
.planchat-searching { color: #555; font-style: italic; }
.planchat-improving { color: #555; font-style: italic; font-size: 14px; margin-top: 6px !important; }
.planchat-abstained .planchat-answer { color: #333; }
.planchat-marker {
  border: 0; background: #dbe6f5; color: #123a6b; border-radius: 4px; padding: 0 4px; margin: 0 1px;
  font-size: .85em; font-weight: 600; cursor: pointer; vertical-align: baseline;
}
.planchat-marker:hover { background: #c3d5ee; }
.planchat-notice { margin-top: 8px !important; padding: 6px 8px; border-left: 3px solid #b7791f; background: #fff8e6; font-size: 14px; }
.planchat-sources { margin-top: 10px; }
.planchat-sources h3 { margin: 0 0 4px; font-size: 14px; font-weight: 600; color: #333; }
.planchat-sources ol { list-style: none; margin: 0; padding: 0; }
.planchat-citation { margin: 2px 0; }
.planchat-cite-toggle {
  display: block; width: 100%; text-align: left; background: transparent; border: 0; border-radius: 4px;
  padding: 3px 4px; cursor: pointer; color: #123a6b; font-size: 14px; text-decoration: underline;
}
.planchat-cite-toggle::before { content: "▸ "; display: inline-block; width: 1em; text-decoration: none; }
.planchat-cite-toggle[aria-expanded="true"]::before { content: "▾ "; }
.planchat-cite-toggle:hover { background: #e8edf3; }
.planchat-cite-body { padding: 4px 6px 6px 22px; font-size: 14px; }
.planchat-cite-source { color: #555; margin-bottom: 4px !important; }
.planchat-cite-link { display: inline-block; margin-top: 4px; color: #123a6b; font-size: 14px; }
.planchat-quote { margin: 0; padding: 4px 0 4px 10px; border-left: 3px solid #1d4f91; white-space: pre-wrap; background: #fff; }
.planchat-quote-ocr { border-left-style: dashed; }
.planchat-cite-ocr { margin: 4px 0 0 !important; color: #555; font-size: 13px; font-style: italic; }
.planchat-actions { margin-top: 8px; display: flex; gap: 8px; }
.planchat-actions button {
  background: #fff; border: 1px solid #8c959f; border-radius: 6px; padding: 3px 10px; cursor: pointer; font-size: 14px;
}
.planchat-actions button:hover { background: #eef1f4; }
.planchat-feedback { margin-top: 8px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; font-size: 14px; }
.planchat-feedback button {
  background: #fff; border: 1px solid #8c959f; border-radius: 6px; padding: 2px 10px; cursor: pointer; font-size: 14px;
}
.planchat-feedback button[aria-pressed="true"] { background: #dbe6f5; border-color: #1d4f91; }
.planchat-feedback-comment { display: flex; flex-wrap: wrap; gap: 6px; width: 100%; align-items: flex-end; }
.planchat-feedback-comment label { width: 100%; }
.planchat-feedback-comment textarea {
  flex: 1; min-width: 0; min-height: 40px; padding: 6px; border: 1px solid #8c959f; border-radius: 6px; resize: vertical;
}
.planchat-error { background: #fdecee; border: 1px solid #e3a0a8; color: #7a0010; }
.planchat-form { display: flex; gap: 8px; padding: 10px 12px 4px; border-top: 1px solid #e1e4e8; }
.planchat-form textarea {
  flex: 1; resize: none; min-height: 44px; max-height: 140px; padding: 8px;
  border: 1px solid #8c959f; border-radius: 8px; background: #fff;
}
.planchat-send {
  align-self: flex-end; border: 0; border-radius: 8px; padding: 10px 16px; cursor: pointer;
  background: #1d4f91; color: #fff; font-weight: 600;
}
.planchat-send:disabled { background: #8c959f; cursor: not-allowed; }
.planchat-hint { margin: 0; padding: 0 12px 8px; font-size: 12px; color: #555; }
@media (max-width: 480px) {
  .planchat-panel {
    inset: 0; width: auto; max-width: none; height: auto; max-height: none;
    border: 0; border-radius: 0; box-shadow: none;
  }
}
@media (prefers-reduced-motion: no-preference) {
  .planchat-launcher, .planchat-send { transition: background-color .15s; }
}
`;

  /** Build an element: attributes (text -> textContent, on* -> listener), then children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  /** The conversation as { id, token }, or null (nothing stored, storage off, or an entry from before tokens). */
  const storage = {
    get() {
      try {
        const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
        return stored && typeof stored.id === "string" && typeof stored.token === "string" ? stored : null;
      } catch (e) { return null; }
    },
    set(conversation) {
      try {
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(conversation));
      } catch (e) { /* storage off: the conversation lives in memory only */ }
    },
    clear() {
      try { sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* nothing stored */ }
    },
  };

  function headers(extra, conversation) {
    const out = Object.assign({ Accept: "application/json" }, extra || {});
    if (API_KEY) out.Authorization = "Bearer " + API_KEY;
    if (conversation) out["X-Conversation-Token"] = conversation.token;
    return out;
  }

  async function errorMessage(response) {
    try {
      const data = await response.json();
      if (data && data.error && data.error.message) return String(data.error.message);
    } catch (e) { /* not JSON */ }
    return TEXT.errorStatus(response.status);
  }

  /** Parse one SSE block ("event: x\ndata: {...}") into {event, data}. */
  function parseBlock(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    return data.length ? { event, data: data.join("\n") } : null;
  }

  /** Yield the SSE events of a fetch() response as they arrive (EventSource cannot POST). */
  async function* sseEvents(response) {
    const decoder = new TextDecoder();
    let buffer = "";
    const reader = response.body ? response.body.getReader() : null;
    for (;;) {
      let done = true;
      let chunk = "";
      if (reader) {
        const read = await reader.read();
        done = read.done;
        chunk = done ? decoder.decode() : decoder.decode(read.value, { stream: true });
      } else {
        chunk = await response.text();
      }
      let pending = buffer + chunk;
      // A CR at the end of a read may be half of a CRLF: keep it for the next read.
      let held = "";
      if (!done && pending.endsWith("\r")) { held = "\r"; pending = pending.slice(0, -1); }
      pending = pending.replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = pending.indexOf("\n\n")) >= 0) {
        const event = parseBlock(pending.slice(0, cut));
        pending = pending.slice(cut + 2);
        if (event) yield event;
      }
      buffer = pending + held;
      if (done) {
        const last = parseBlock(buffer);
        if (last) yield last;
        return;
      }
    }
  }

  // A list answer: an item line is "- «item» [n]" (after "Municipality: " when
  // the list has no introduction); an item's quote may run over several lines
  // and ends at "» [n]". A "(…)" line right after the items says how many the plan has.
  // This is layout only: which "[n]" is a citation marker comes from the server (answer.markers).
  const ITEM_START = /^(?:([^«\n]*?:) )?- «/;
  const ITEM_END = /» \[\d+\]$/;
  const LIST_NOTE = /^\([^«»\n]*\)$/;

  /** The answer text as blocks: {type: "text"|"note", text, start} and {type: "list", items: [{text, start}]};
   * start is where the piece begins in the answer text. */
  function answerBlocks(text) {
    const blocks = [];
    let last = null; // the block the next plain line joins: a text block, or the list just ended
    let open = false; // inside an item whose quote has not closed yet
    let at = 0; // where the line begins in the text
    for (const line of text.split("\n")) {
      const start = at;
      at += line.length + 1;
      if (open) {
        last.items[last.items.length - 1].text += "\n" + line;
        open = !ITEM_END.test(line);
        continue;
      }
      const item = ITEM_START.exec(line);
      if (item) {
        if (item[1]) blocks.push((last = { type: "text", text: item[1], start }));
        if (!last || last.type !== "list") blocks.push((last = { type: "list", items: [] }));
        const body = line.slice(item[0].length - 1);
        last.items.push({ text: body, start: start + item[0].length - 1 });
        open = !ITEM_END.test(body);
      } else if (last && last.type === "list" && LIST_NOTE.test(line)) {
        blocks.push((last = { type: "note", text: line, start }));
      } else if (last && last.type === "text") {
        last.text += "\n" + line;
      } else {
        blocks.push((last = { type: "text", text: line, start }));
      }
    }
    return blocks;
  }

  /** The server's markers ({n, start, end} in code points) as UTF-16 offsets into the text, in order. */
  function markerSpans(text, markers) {
    const offsets = []; // code point index -> UTF-16 index
    let i = 0;
    for (const ch of text) { offsets.push(i); i += ch.length; }
    offsets.push(i);
    return (Array.isArray(markers) ? markers : [])
      .filter((m) => Number.isInteger(m.start) && Number.isInteger(m.end) && m.start >= 0 && m.start < m.end
        && m.end < offsets.length)
      .map((m) => ({ n: m.n, start: offsets[m.start], end: offsets[m.end] }))
      .sort((a, b) => a.start - b.start);
  }

  /** The source viewer on the planchat server, the quote highlighted (null if the citation lacks its span). */
  function sourceUrl(c) {
    if (typeof c.doc_id !== "string" || !Number.isInteger(c.start) || !Number.isInteger(c.end)) return null;
    return `${API_BASE}/documents/${encodeURIComponent(c.doc_id)}?start=${c.start}&end=${c.end}`;
  }

  function citationLabel(c) {
    const parts = [c.municipality, c.year];
    // The printed page label where the PDF has one ("iii", "12"), else the page number.
    if (c.page !== null && c.page !== undefined) parts.push(`${TEXT.page} ${c.page_label || c.page}`);
    if (c.ocr === true) parts.push(TEXT.ocr);
    return `[${c.n}] ${parts.join(", ")}`;
  }

  function answerAsText(answer) {
    const lines = [answer.answer || ""];
    const citations = answer.citations || [];
    if (citations.length) {
      lines.push("", TEXT.sources + ":");
      for (const c of citations) {
        lines.push(`${citationLabel(c)}${c.role === "see_also" ? ` (${TEXT.seeAlso.toLowerCase()})` : ""}: «${c.quote}»`);
      }
    }
    return lines.join("\n");
  }

  async function copyText(text, focusBack) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (e) { /* permission denied: fall back below */ }
    }
    const area = el("textarea", { class: "planchat-sr", readonly: true, "aria-hidden": "true", tabindex: "-1" });
    area.value = text;
    focusBack.getRootNode().append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    focusBack.focus();
    return ok;
  }

  /** The widget's CSS for its shadow root: a constructed style sheet where the browser has them (a page's
   * CSP needs no 'unsafe-inline' for one, as it does for a <style> element), else a <style> element to append. */
  function styleFor(root) {
    try {
      if ("adoptedStyleSheets" in root && "replaceSync" in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        return [];
      }
    } catch (e) { /* an older browser: the element below */ }
    return [el("style", { text: CSS })];
  }

  let sequence = 0;

  function createWidget() {
    if (document.querySelector("[data-planchat-widget]")) return; // included twice: one widget is enough
    const host = el("div", { "data-planchat-widget": "", lang: "da" });
    const root = host.attachShadow({ mode: "open" });
    const emit = (name, detail) =>
      host.dispatchEvent(new CustomEvent("planchat:" + name, { detail, bubbles: true, composed: true }));

    const launcher = el("button", {
      type: "button", id: "planchat-launcher", class: "planchat-launcher", "aria-expanded": "false", "aria-controls": "planchat-panel",
      text: TEXT.launcher,
    });
    const closeButton = el("button", { type: "button", id: "planchat-close", class: "planchat-close", "aria-label": TEXT.closeLabel, text: TEXT.close });
    const newButton = el("button", { type: "button", id: "planchat-new", class: "planchat-new", text: TEXT.newConversation });
    const select = el("select", { id: "planchat-municipality", class: "planchat-municipality" },
      el("option", { value: "", text: TEXT.allMunicipalities }));
    const empty = el("p", { class: "planchat-empty", text: TEXT.empty });
    const log = el("div", {
      id: "planchat-log", class: "planchat-log", role: "log", "aria-live": "polite", "aria-label": TEXT.log, "aria-busy": "false", tabindex: "0",
    }, empty);
    const textarea = el("textarea", {
      id: "planchat-question", class: "planchat-question", rows: "2", placeholder: TEXT.placeholder,
      "aria-describedby": "planchat-hint",
    });
    const send = el("button", { type: "submit", id: "planchat-send", class: "planchat-send", text: TEXT.send });
    const form = el("form", { class: "planchat-form", "aria-label": TEXT.question },
      el("label", { for: "planchat-question", class: "planchat-sr", text: TEXT.question }), textarea, send);
    const status = el("div", { class: "planchat-sr", role: "status" });
    const panel = el("section", {
      id: "planchat-panel", class: "planchat-panel", role: "dialog", "aria-label": TEXT.dialog, lang: "da", hidden: true,
    },
      el("div", { class: "planchat-header" },
        el("h2", { class: "planchat-title", text: TEXT.title }), newButton, closeButton),
      el("div", { class: "planchat-filter" },
        el("label", { for: "planchat-municipality", text: TEXT.filter }), select),
      log, form,
      el("p", { id: "planchat-hint", class: "planchat-hint", text: TEXT.hint }),
      status);
    root.append(...styleFor(root), el("div", { class: "planchat-root" }, launcher, panel));

    let conversation = storage.get(); // { id, token } of the server-side conversation, or null
    let controller = null;

    function announce(message) {
      status.textContent = "";
      setTimeout(() => { status.textContent = message; }, 50);
    }

    function open() {
      panel.hidden = false;
      launcher.setAttribute("aria-expanded", "true");
      textarea.focus();
    }

    function close() {
      panel.hidden = true;
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }

    function setBusy(busy) {
      log.setAttribute("aria-busy", busy ? "true" : "false");
      send.disabled = busy;
      panel.classList.toggle("planchat-busy", busy);
    }

    function scrollToEnd() {
      log.scrollTop = log.scrollHeight;
    }

    function addUserMessage(question, before) {
      const node = el("div", { class: "planchat-msg planchat-user" },
        el("span", { class: "planchat-sr", text: TEXT.you + ": " }), question);
      empty.hidden = true;
      log.insertBefore(node, before || null);
      return node;
    }

    /** One answer in the log; streams text in, then renders the full answer object. */
    function addBotMessage(before) {
      const id = "planchat-m" + ++sequence;
      const understood = el("p", { class: "planchat-understood", hidden: true });
      const answerNode = el("div", { class: "planchat-answer" },
        el("span", { class: "planchat-searching", text: TEXT.searching }));
      const article = el("div", { class: "planchat-msg planchat-bot", "data-state": "streaming", id },
        el("span", { class: "planchat-sr", text: TEXT.bot + ": " }), understood, answerNode);
      empty.hidden = true;
      log.insertBefore(article, before || null);
      const toggles = new Map();
      let rendered = []; // what done() added below the answer: replaced when an upgrade re-renders it
      const improving = el("p", { class: "planchat-improving", role: "status", text: TEXT.improving });

      function openCitation(n) {
        const toggle = toggles.get(n);
        if (!toggle) return;
        setExpanded(toggle, true);
        toggle.focus();
        toggle.scrollIntoView({ block: "nearest" });
      }

      /** A piece of the answer text (it begins at ``start``) with each of the server's markers in it
       * as a button that opens its citation. Nothing else becomes a marker, whatever it looks like. */
      function withMarkers(text, start, markers) {
        const parts = [];
        let last = 0;
        for (const m of markers) {
          if (m.start < start + last || m.end > start + text.length || !toggles.has(m.n)) continue;
          parts.push(text.slice(last, m.start - start));
          parts.push(el("button", {
            type: "button", class: "planchat-marker", "data-n": m.n, "aria-label": TEXT.source + m.n,
            onclick: () => openCitation(m.n),
          }, text.slice(m.start - start, m.end - start)));
          last = m.end - start;
        }
        parts.push(text.slice(last));
        return parts.filter((p) => p !== "");
      }

      /** The answer text, a list answer's items as a list; ``markers`` from markerSpans (none while streaming). */
      function renderAnswerText(text, markers) {
        const blocks = answerBlocks(text);
        if (!blocks.some((b) => b.type === "list")) {
          answerNode.replaceChildren(...withMarkers(text, 0, markers)); // prose as it always was: one text with markers
          return;
        }
        answerNode.replaceChildren(...blocks.map((b) => {
          if (b.type === "list") {
            return el("ul", { class: "planchat-list" }, ...b.items.map((item) =>
              el("li", { class: "planchat-item" }, ...withMarkers(item.text, item.start, markers))));
          }
          return el("p", { class: b.type === "note" ? "planchat-list-note" : "planchat-text" },
            ...withMarkers(b.text, b.start, markers));
        }));
      }

      function citationList(heading, citations) {
        const list = el("ol");
        for (const c of citations) {
          const bodyId = `${id}-c${c.n}`;
          const source = [c.title, c.section ? TEXT.section + c.section : ""].filter(Boolean).join(" · ");
          const body = el("div", { id: bodyId, class: "planchat-cite-body", hidden: true },
            el("p", { class: "planchat-cite-source", text: source }),
            el("blockquote", { class: "planchat-quote" + (c.ocr === true ? " planchat-quote-ocr" : ""), text: c.quote }),
            ...(c.ocr === true ? [el("p", { class: "planchat-cite-ocr", text: `(${TEXT.ocr})` })] : []),
            sourceUrl(c) ? el("a", { class: "planchat-cite-link", href: sourceUrl(c), target: "_blank", rel: "noopener",
              text: TEXT.showInPlan }) : null);
          const toggle = el("button", {
            type: "button", class: "planchat-cite-toggle", "aria-expanded": "false", "aria-controls": bodyId,
            text: citationLabel(c), onclick: () => setExpanded(toggle, toggle.getAttribute("aria-expanded") !== "true"),
          });
          toggle.planchatBody = body;
          if (!toggles.has(c.n)) toggles.set(c.n, toggle);
          list.append(el("li", { class: "planchat-citation", "data-n": c.n, "data-role": c.role }, toggle, body));
        }
        return el("div", { class: "planchat-sources" + (heading === TEXT.seeAlso ? " planchat-see-also" : "") },
          el("h3", { text: heading }), list);
      }

      return {
        node: article,
        meta(data) {
          if (data.question && data.question.trim() !== (article.planchatQuestion || "").trim()) {
            understood.textContent = TEXT.understoodAs + data.question;
            understood.hidden = false;
          }
        },
        stream(text) {
          renderAnswerText(text, []);
          scrollToEnd();
        },
        done(answer) {
          for (const node of rendered.splice(0)) node.remove(); // an upgrade re-renders a draft
          toggles.clear();
          const citations = answer.citations || [];
          const evidence = citations.filter((c) => c.role !== "see_also");
          const seeAlso = citations.filter((c) => c.role === "see_also");
          const extra = [];
          if (answer.notice) extra.push(el("p", { class: "planchat-notice", role: "note", text: answer.notice }));
          if (evidence.length) extra.push(citationList(TEXT.sources, evidence));
          if (seeAlso.length) extra.push(citationList(TEXT.seeAlso, seeAlso));
          const copyButton = el("button", { type: "button", class: "planchat-copy", text: TEXT.copy });
          copyButton.addEventListener("click", async () => {
            const ok = await copyText(answerAsText(answer), copyButton);
            copyButton.textContent = ok ? TEXT.copied : TEXT.copyFailed;
            announce(copyButton.textContent);
            setTimeout(() => { copyButton.textContent = TEXT.copy; }, 2500);
          });
          extra.push(el("div", { class: "planchat-actions" }, copyButton));
          extra.push(feedbackControls(id, article.planchatQuestion || "", answer));
          rendered = extra;
          article.append(...extra);
          renderAnswerText(answer.answer || "", markerSpans(answer.answer || "", answer.markers));
          article.classList.toggle("planchat-abstained", Boolean(answer.abstained));
          if (answer.kind) article.setAttribute("data-kind", answer.kind);
          article.setAttribute("data-state", "done");
          scrollToEnd();
        },
        /** The extractive answer while an LLM writes: shown whole, with «Forbedrer svaret …». */
        draft(answer) {
          this.done(answer);
          answerNode.after(improving);
          article.setAttribute("data-state", "improving");
        },
        /** The LLM's checked answer replaces the draft. */
        upgrade(answer) {
          improving.remove();
          this.done(answer);
          article.setAttribute("data-upgraded", "true");
        },
        /** The end of a drafted answer: an upgrade stays; a kept draft gets the server's notice. */
        settle(answer) {
          if (improving.isConnected && answer.notice) {
            improving.replaceWith(el("p", { class: "planchat-notice", role: "note", text: answer.notice }));
          }
          improving.remove();
          article.setAttribute("data-state", "done");
        },
        error(message) {
          improving.remove();
          article.classList.add("planchat-error");
          article.setAttribute("data-state", "error");
          understood.hidden = true;
          answerNode.replaceChildren(el("p", { class: "planchat-error-message", role: "alert" },
            el("strong", { text: TEXT.errorLead }), message));
          scrollToEnd();
        },
      };
    }

    /** 👍/👎 and an optional comment under an answer: POST /v1/feedback with the question, answer and citations. */
    function feedbackControls(id, question, answer) {
      let rating = null;
      // The icon is decoration (and a box where no emoji font is installed): the words name the button.
      const ratings = [["up", "👍", TEXT.feedbackUp], ["down", "👎", TEXT.feedbackDown]].map(([value, icon, label]) =>
        el("button", { type: "button", class: "planchat-rating", "data-rating": value, "aria-pressed": "false" },
          el("span", { "aria-hidden": "true", text: icon + " " }), label));
      const textarea = el("textarea", { id: id + "-feedback", class: "planchat-feedback-text", rows: "2", maxlength: "2000" });
      const sendButton = el("button", { type: "button", class: "planchat-feedback-send", text: TEXT.feedbackSend });
      const commentRow = el("div", { class: "planchat-feedback-comment", hidden: true },
        el("label", { for: id + "-feedback", text: TEXT.feedbackComment }), textarea, sendButton);
      const note = el("span", { class: "planchat-feedback-note", "aria-hidden": "true" });
      const group = el("div", { class: "planchat-feedback", role: "group", "aria-label": TEXT.feedbackGroup },
        el("span", { text: TEXT.feedbackAsk }), ...ratings, note, commentRow);
      for (const button of ratings) {
        button.addEventListener("click", () => {
          rating = button.dataset.rating;
          for (const other of ratings) other.setAttribute("aria-pressed", other === button ? "true" : "false");
          commentRow.hidden = false;
          textarea.focus();
        });
      }
      sendButton.addEventListener("click", async () => {
        if (!rating) return;
        sendButton.disabled = true;
        const body = { question, answer: answer.answer || "", citations: answer.citations || [], rating };
        if (textarea.value.trim()) body.comment = textarea.value.trim();
        const conversationId = answer.conversation_id || (conversation && conversation.id);
        if (conversationId) body.conversation_id = conversationId;
        let message = TEXT.feedbackThanks;
        try {
          const response = await fetch(API_BASE + "/v1/feedback", {
            method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body),
          });
          if (response.ok) {
            commentRow.hidden = true;
            for (const button of ratings) button.disabled = true;
            emit("feedback", await response.json());
          } else {
            message = TEXT.feedbackFailed + (response.status === 429
              ? TEXT.errorTooMany(parseInt(response.headers.get("Retry-After") || "", 10) || 0)
              : await errorMessage(response));
            sendButton.disabled = false;
          }
        } catch (e) {
          message = TEXT.feedbackFailed + TEXT.errorNetwork;
          sendButton.disabled = false;
        }
        note.textContent = message;
        announce(message);
      });
      return group;
    }

    function setExpanded(toggle, expanded) {
      toggle.setAttribute("aria-expanded", expanded ? "true" : "false");
      toggle.planchatBody.hidden = !expanded;
    }

    /** A new conversation arrives with its token; a follow-up's answer repeats only the id. */
    function rememberConversation(data) {
      if (!data.conversation_id || !data.conversation_token) return;
      conversation = { id: data.conversation_id, token: data.conversation_token };
      storage.set(conversation);
    }

    async function ask(question) {
      if (send.disabled || !question.trim()) return;
      setBusy(true);
      addUserMessage(question);
      const view = addBotMessage();
      view.node.planchatQuestion = question;
      scrollToEnd();
      const body = { question };
      if (select.value) body.municipalities = [select.value];
      const sentWith = conversation;
      if (sentWith) body.conversation_id = sentWith.id;
      const ownController = (controller = new AbortController());
      let finished = false;
      const failed = (message, detail) => {
        view.error(message);
        emit("error", detail);
        finished = true;
        // Give the question back so it can be corrected and sent again.
        if (!textarea.value) textarea.value = question;
      };
      try {
        const response = await fetch(API_BASE + "/v1/ask/stream", {
          method: "POST",
          headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }, sentWith),
          body: JSON.stringify(body),
          signal: ownController.signal,
        });
        const type = response.headers.get("content-type") || "";
        if (!response.ok) {
          // The stored conversation expired or was deleted: the next question starts a new one.
          if (response.status === 404 && sentWith && conversation === sentWith) {
            conversation = null;
            storage.clear();
          }
          const message = response.status === 429
            ? TEXT.errorTooMany(parseInt(response.headers.get("Retry-After") || "", 10) || 0)
            : await errorMessage(response);
          failed(message, { error: { message }, status: response.status });
          return;
        }
        if (!type.includes("text/event-stream")) {
          failed(TEXT.errorUnexpected, { error: { message: TEXT.errorUnexpected }, status: response.status });
          return;
        }
        let text = "";
        let drafted = false;
        for await (const event of sseEvents(response)) {
          let data;
          try { data = JSON.parse(event.data); } catch (e) { continue; }
          if (event.event === "meta") {
            rememberConversation(data);
            view.meta(data);
            emit("meta", data);
          } else if (event.event === "delta") {
            text += data.text || "";
            view.stream(text);
            emit("delta", data);
          } else if (event.event === "draft") {
            rememberConversation(data);
            view.draft(data);
            drafted = true;
            emit("draft", data);
          } else if (event.event === "upgrade") {
            view.upgrade(data);
            emit("upgrade", data);
          } else if (event.event === "done") {
            rememberConversation(data);
            if (drafted) view.settle(data); else view.done(data);
            emit("done", data);
            finished = true;
          } else if (event.event === "error") {
            failed((data.error && data.error.message) || TEXT.errorStatus(data.status || ""), data);
          }
        }
        if (!finished) failed(TEXT.errorCut, { error: { message: TEXT.errorCut } });
      } catch (exc) {
        if (ownController.signal.aborted) return; // "Ny samtale" removed this message already
        if (!finished) failed(TEXT.errorNetwork, { error: { message: TEXT.errorNetwork } });
      } finally {
        if (controller === ownController) {
          controller = null;
          setBusy(false);
        }
      }
    }

    function newConversation() {
      if (controller) controller.abort();
      controller = null;
      setBusy(false);
      conversation = null;
      storage.clear();
      log.replaceChildren(empty);
      empty.hidden = false;
      announce(TEXT.newConversationDone);
      textarea.focus();
    }

    async function loadMunicipalities() {
      try {
        const response = await fetch(API_BASE + "/v1/documents", { headers: headers() });
        if (!response.ok) return;
        const data = await response.json();
        const names = [...new Set((data.documents || []).map((d) => d.municipality).filter(Boolean))];
        names.sort((a, b) => a.localeCompare(b, "da"));
        select.append(...names.map((name) => el("option", { value: name, text: name })));
      } catch (e) { /* the filter stays at "Alle kommuner" */ }
    }

    /** Re-render the stored conversation (citations survive reloads); an expired one is dropped silently. */
    async function restoreConversation() {
      const stored = conversation;
      if (!stored) return;
      try {
        const response = await fetch(API_BASE + "/v1/conversations/" + encodeURIComponent(stored.id),
          { headers: headers({}, stored) });
        if (response.status === 404) {
          if (conversation === stored) { conversation = null; storage.clear(); }
          return;
        }
        if (!response.ok || conversation !== stored) return;
        const data = await response.json();
        // Insert before anything asked while this request was in flight.
        const first = log.querySelector(".planchat-msg");
        for (const turn of data.turns || []) {
          addUserMessage(turn.question, first);
          const view = addBotMessage(first);
          view.node.planchatQuestion = turn.question;
          view.done(turn.answer || {});
        }
        scrollToEnd();
      } catch (e) { /* offline or no such endpoint: start empty */ }
    }

    launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
    closeButton.addEventListener("click", close);
    newButton.addEventListener("click", newConversation);
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const question = textarea.value;
      if (send.disabled || !question.trim()) return;
      textarea.value = "";
      ask(question);
    });

    document.body.append(host);
    loadMunicipalities();
    restoreConversation();
    if (START_OPEN) open();
  }

  if (document.body) createWidget();
  else document.addEventListener("DOMContentLoaded", createWidget, { once: true });
})();
