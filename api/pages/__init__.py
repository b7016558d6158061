"""Server-rendered Danish pages for planners, evaluators and document admins
(issue 15): one layout (``layout.page``), one stylesheet (/static/pages.css),
plain scripts under /static. Nothing inline: the page CSP (api/headers.py)
allows only this server's own scripts and styles."""
