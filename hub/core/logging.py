"""Structured logs (structlog): JSON lines in production, readable lines in a terminal.

Personal data never reaches a log line: a redaction processor masks any field whose name denotes a household's
personal data, whatever the caller passed — a safety net, not a licence to log such fields.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

__all__ = ["configure_logging", "redact_personal_data", "PERSONAL_KEY"]

#: Field names that denote a person's data (CERFA sections) — matched on whole words of snake/camel case keys.
PERSONAL_KEY = re.compile(
    r"(^|_)(nom|prenom|nom_usage|date_naissance|datenaissance|naissance|revenu|revenus|ressources?|montant|adresse|"
    r"telephone|tel|email|courriel|commentaire|situation_libre|texte|motif_libre|iban|nir)(_|$)",
    re.IGNORECASE)


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        if key != "event" and PERSONAL_KEY.search(_snake(key)):
            event_dict[key] = "[redacted]"
    return event_dict


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    json_lines = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: Any = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_personal_data,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
