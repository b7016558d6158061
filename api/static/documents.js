/* /documents (api/pages/documents.py): upload as a background job with a
 * progress bar, and delete, both with the admin key (admin-key.js).
 *
 * An upload is POST /v1/documents?wait=false (202 + Location), then GET of
 * that job every half second until it is done or failed; the bar follows
 * its stage and the chunks embedded. Server text is only ever set as text.
 */
(() => {
  "use strict";

  const admin = window.planchatAdmin;
  const form = document.getElementById("upload-form");
  const submit = document.getElementById("upload-submit");
  const box = document.getElementById("upload-job");
  const bar = document.getElementById("upload-progress");
  const stageLabel = document.getElementById("upload-stage");
  const status = document.getElementById("upload-status");
  const POLL_MS = 500;

  const STAGES = {
    sending: "Sender filen",
    queued: "I kø",
    loading: "Læser filen",
    ocr: "Genkender tekst på scannede sider (OCR)",
    cleaning: "Renser teksten",
    chunking: "Deler teksten op",
    embedding: "Indlejrer tekststykker",
    storing: "Gemmer i indekset",
    done: "Færdig",
    failed: "Fejlede",
  };
  const SHARE = { sending: 0, queued: 0.02, loading: 0.05, cleaning: 0.1, chunking: 0.15, embedding: 0.2, storing: 0.93 };
  let shown = 0; // the bar never runs backwards (OCR may fill it further than cleaning starts)

  function fraction(job) {
    if (job.status === "done" || job.status === "failed") return 1;
    if (job.stage === "ocr" && job.pages_total) return 0.05 + 0.5 * (job.pages_done / job.pages_total);
    if (job.stage === "embedding" && job.chunks_total) return 0.2 + 0.73 * (job.chunks_done / job.chunks_total);
    return SHARE[job.stage] || 0;
  }

  function detail(job) {
    if (job.status === "failed") return "Fejlede: " + (job.error || "ukendt fejl");
    if (job.status === "done" && job.document) {
      const d = job.document;
      const report = d.report || {};
      const what = report.status === "unchanged" ? "var allerede i indekset (uændret)" : "er nu i indekset";
      return `Færdig: «${d.title}» (${d.municipality} ${d.year}) ${what}: ${d.chunks} tekststykker, ${report.targets || 0} mål.`;
    }
    const parts = [];
    if (job.pages_total) parts.push(`side ${job.pages_done} af ${job.pages_total}`);
    if (job.chunks_total) parts.push(`${job.chunks_done} af ${job.chunks_total} tekststykker`);
    return (STAGES[job.stage] || job.stage) + (parts.length ? ": " + parts.join(", ") : " …");
  }

  function render(job) {
    box.hidden = false;
    box.className = "job " + job.status;
    stageLabel.textContent = STAGES[job.stage] || job.stage;
    shown = job.stage === "sending" ? 0 : Math.max(shown, fraction(job));
    const percent = Math.round(shown * 100);
    bar.value = percent;
    bar.setAttribute("aria-valuetext", `${percent} %`);
    status.textContent = detail(job);
    box.dataset.status = job.status;
  }

  function fail(message) {
    render({ status: "failed", stage: "failed", error: message });
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function follow(url, job) {
    while (job.status === "queued" || job.status === "running") {
      await sleep(POLL_MS);
      const response = await fetch(url, { headers: admin.headers() });
      if (!response.ok) return fail(await admin.errorMessage(response));
      job = await response.json();
      render(job);
    }
    if (job.status === "done") {
      form.reset();
      await refreshTable();
    }
  }

  async function upload(event) {
    event.preventDefault();
    if (!admin.key()) {
      fail("Skriv admin-nøglen først (øverst på siden).");
      document.getElementById("admin-key").focus();
      return;
    }
    submit.disabled = true;
    render({ status: "queued", stage: "sending" });
    try {
      const response = await fetch("/v1/documents?wait=false", {
        method: "POST", headers: admin.headers(), body: new FormData(form),
      });
      if (response.status !== 202) return fail(await admin.errorMessage(response));
      const job = await response.json();
      render(job);
      await follow(response.headers.get("Location") || "/v1/jobs/" + encodeURIComponent(job.job_id), job);
    } catch (e) {
      fail("Kunne ikke få forbindelse til serveren. Prøv igen.");
    } finally {
      submit.disabled = false;
    }
  }

  /** The list as the server renders it now (with the new or changed document). */
  async function refreshTable() {
    try {
      const response = await fetch(location.pathname + location.search, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const id of ["documents-table", "documents-count"]) {
        const now = document.getElementById(id);
        const next = fresh.getElementById(id);
        if (now && next) now.replaceWith(document.adoptNode(next));
      }
    } catch (e) { /* the old list stays; a reload shows the new one */ }
  }

  async function remove(button) {
    const title = button.dataset.title || button.dataset.deleteDoc;
    const message = document.getElementById("documents-message");
    if (!window.confirm(`Slet «${title}» fra indekset? Den forsvinder fra alle svar med det samme.`)) return;
    button.disabled = true;
    try {
      const response = await fetch("/v1/documents/" + encodeURIComponent(button.dataset.deleteDoc), {
        method: "DELETE", headers: admin.headers(),
      });
      if (!response.ok) {
        message.textContent = await admin.errorMessage(response);
        button.disabled = false;
        return;
      }
      message.textContent = `«${title}» er slettet.`;
      await refreshTable();
      message.tabIndex = -1;
      message.focus(); // the button is gone with its row: focus stays on the page, at the news
    } catch (e) {
      message.textContent = "Kunne ikke få forbindelse til serveren. Prøv igen.";
      button.disabled = false;
    }
  }

  form.addEventListener("submit", upload);
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-delete-doc]");
    if (button) remove(button);
  });
})();
