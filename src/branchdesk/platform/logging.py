"""JSON logs (structlog) that carry the request id, branch and staff member of the work being done."""

from __future__ import annotations

import logging
import random
import re
import sys

import structlog
from structlog.contextvars import bind_contextvars, get_contextvars
from structlog.typing import Processor


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer], foreign_pre_chain=shared
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


# A caller's own X-Request-Id is kept when it is a plain token (it goes into logs and headers as it is).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(given: str | None) -> str:
    """The caller's request id when it is a sensible one, else a new one: 128 random bits in 32 hex digits,
    as ``uuid4().hex`` gives them, at a fraction of its cost (every request pays this). An id correlates
    logs, errors and audit events; it guards nothing, so the bits need to be unique, not unpredictable:
    ``random`` (seeded from the OS in each process, again after a fork) rather than ``os.urandom``, a
    system call each time (under 1 % of a request's CPU on the bench machine)."""
    if given is not None and _REQUEST_ID.match(given):
        return given
    return f"{random.getrandbits(128):032x}"


def bind_request(request_id: str | None = None, branch: str | None = None, staff_id: str | None = None) -> None:
    bind_contextvars(
        **{k: v for k, v in {"request_id": request_id, "branch": branch, "staff_id": staff_id}.items() if v}
    )


def current_request_id() -> str | None:
    return get_contextvars().get("request_id")
