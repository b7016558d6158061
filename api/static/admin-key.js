/* The admin key field of /documents and /feedback (api/pages/documents.py key_field).
 *
 * The key is kept in this tab's sessionStorage ("planchat:admin-key") and
 * sent only as "Authorization: Bearer <key>" by fetch: never in a URL, a
 * form field the browser submits, or a cookie. Closing the tab forgets it.
 * The pages' other scripts use window.planchatAdmin: key(), headers(extra),
 * errorMessage(response); "planchat:admin-key" is dispatched on document
 * when a key is saved.
 */
(() => {
  "use strict";

  const STORAGE = "planchat:admin-key";
  const input = document.getElementById("admin-key");
  const state = document.getElementById("admin-key-state");

  function stored() {
    try { return sessionStorage.getItem(STORAGE) || ""; } catch (e) { return ""; }
  }
  let memory = stored();

  function remember(value) {
    memory = value;
    try {
      if (value) sessionStorage.setItem(STORAGE, value);
      else sessionStorage.removeItem(STORAGE);
    } catch (e) { /* storage off: the key lives in this page only */ }
    show();
  }

  function show() {
    if (state) state.textContent = memory ? "Nøglen er gemt i denne fane." : "Ingen nøgle gemt i denne fane.";
  }

  /** The key: what is typed in the field (then saved), else the saved one. */
  function key() {
    const typed = input ? input.value.trim() : "";
    if (typed) {
      input.value = "";
      remember(typed);
      document.dispatchEvent(new CustomEvent("planchat:admin-key"));
    }
    return memory;
  }

  function headers(extra) {
    const out = Object.assign({ Accept: "application/json" }, extra || {});
    const value = key();
    if (value) out.Authorization = "Bearer " + value;
    return out;
  }

  /** A Danish sentence for a failed response (the server's own message is English for API clients). */
  async function errorMessage(response) {
    if (response.status === 401) return "Nøglen mangler eller er forkert. Skriv serverens admin-nøgle ovenfor.";
    if (response.status === 403) {
      return "Nøglen giver ikke adgang til dette (en læsenøgle?), eller serveren tager ikke imod ændringer. Brug admin-nøglen.";
    }
    if (response.status === 429) return "For mange forespørgsler på kort tid. Vent lidt, og prøv igen.";
    let detail = "";
    try {
      const data = await response.json();
      if (data && data.error && data.error.message) detail = String(data.error.message);
    } catch (e) { /* not JSON */ }
    return `Serveren svarede med fejl ${response.status}` + (detail ? `: ${detail}` : ".");
  }

  if (input) {
    document.getElementById("admin-key-save").addEventListener("click", () => { key(); });
    document.getElementById("admin-key-forget").addEventListener("click", () => {
      input.value = "";
      remember("");
      input.focus();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        key();
      }
    });
  }
  show();
  window.planchatAdmin = { key, headers, errorMessage };
})();
