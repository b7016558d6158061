/* Starts Swagger UI on /docs (GET /docs/assets/init.js): a file, as the page's CSP allows no inline script.
 *
 * The schema is read relative to the page (openapi.json), so /docs works under a path prefix too.
 * The swagger-ui-bundle package vendors Swagger UI 4, which renders OpenAPI 3.0 only, and FastAPI
 * writes 3.1: the schema uses nothing a 3.0 reader cannot show, so it is shown as 3.0.3.
 * /openapi.json itself stays as FastAPI writes it. */
(async () => {
  const options = {
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis],
    validatorUrl: null, // the badge would ask validator.swagger.io: nothing leaves this server
  };
  const url = new URL("openapi.json", document.baseURI).href;
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    const spec = await response.json();
    if (/^3\.1\./.test(spec.openapi || "")) spec.openapi = "3.0.3";
    window.ui = SwaggerUIBundle({ ...options, spec });
  } catch (error) {
    window.ui = SwaggerUIBundle({ ...options, url }); // Swagger UI shows why the schema could not be read
  }
})();
