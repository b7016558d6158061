"""The one family of domain errors.

Each error carries a stable machine ``code``, an HTTP status and a message
that says what happened and what to do next. The API translates them into
``{"error": {"code", "message"}}`` once (api/errors.py); the CLI prints the
message and exits non-zero once (planchat/cli.py).
"""

from __future__ import annotations


class PlanchatError(Exception):
    code = "planchat_error"
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidRequest(PlanchatError):
    code = "invalid_request"
    status = 400


class UnknownFilter(PlanchatError):
    code = "unknown_filter"
    status = 400


class NotFound(PlanchatError):
    code = "not_found"
    status = 404


class Unauthorized(PlanchatError):
    code = "unauthorized"
    status = 401


class Forbidden(PlanchatError):
    code = "forbidden"
    status = 403


class Conflict(PlanchatError):
    code = "conflict"
    status = 409


class PayloadTooLarge(PlanchatError):
    code = "payload_too_large"
    status = 413


class TimeBudgetExceeded(PlanchatError):
    """The request's work outran PLANCHAT_REQUEST_BUDGET_S (planchat/deadline.py)."""

    code = "time_budget_exceeded"
    status = 503


class Busy(PlanchatError):
    """The server has as much of this work in hand as it takes; try again later."""

    code = "busy"
    status = 503


class DocumentError(PlanchatError):
    """A file that cannot be ingested (unreadable, encrypted, no text...)."""

    code = "bad_document"
    status = 422


class EncryptedDocument(DocumentError):
    code = "encrypted_pdf"


class NoTextLayer(DocumentError):
    code = "no_text_layer"


class TooManyScannedPages(DocumentError):
    """More pages need OCR than one ingest may read (PLANCHAT_OCR_MAX_PAGES)."""

    code = "too_many_scanned_pages"


class EmptyDocument(DocumentError):
    code = "empty_document"


class UnsupportedFileType(DocumentError):
    code = "unsupported_file_type"
    status = 415


class ManifestError(PlanchatError):
    code = "bad_manifest"
    status = 400


class ConfigurationError(PlanchatError):
    """The service is configured in a way that cannot work."""

    code = "configuration_error"
    status = 500
