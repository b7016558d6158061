"""One router per resource; ``api/app.py`` includes them in this order:
documents, jobs, feedback, health, ask, conversations, openai, planner, search, static, metrics, and the
pages (pages_access, pages_planner, pages_source, pages_admin).

Handlers are thin: they parse and validate the request, call one service
method (the services come from the aliases in ``api/deps.py``) and shape
the response (``api/shapes.py``).
"""

from __future__ import annotations

from ..schemas import ErrorResponse, Responses

__all__ = ["ERROR_RESPONSES", "Responses"]

ERROR_RESPONSES: Responses = {
    400: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
    500: {"model": ErrorResponse},
}
