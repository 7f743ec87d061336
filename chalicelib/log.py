"""Structured JSON logs: one line per request. Never codes, keys or full phone numbers."""
from __future__ import annotations

import json
import logging
import sys

logger = logging.getLogger("verikit")
if not logger.handlers:
    _h = logging.StreamHandler(sys.stdout)
    _h.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_h)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def event(level: int = logging.INFO, **fields) -> None:
    logger.log(level, json.dumps(fields, ensure_ascii=False, default=str))
