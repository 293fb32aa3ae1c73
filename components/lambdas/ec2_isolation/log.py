"""Structured logs: one JSON object per line on stdout (CloudWatch Logs Insights parses it)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

LOGGER_NAME = "secbaseline.ec2_isolation"


class _JsonLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        print(json.dumps(entry, default=str), flush=True)


def _logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, _JsonLines) for h in logger.handlers):
        logger.addHandler(_JsonLines())
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def info(message: str, **fields: Any) -> None:
    """Log at INFO with extra JSON fields."""
    _logger().info(message, extra={"fields": fields})


def warning(message: str, **fields: Any) -> None:
    """Log at WARNING with extra JSON fields."""
    _logger().warning(message, extra={"fields": fields})


def error(message: str, **fields: Any) -> None:
    """Log at ERROR with extra JSON fields."""
    _logger().error(message, extra={"fields": fields})


@contextmanager
def only_warnings() -> Iterator[None]:
    """Drop INFO lines for a while (the drill prints its own timeline instead)."""
    logger = _logger()
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)
