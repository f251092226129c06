"""The question registry: every linkage question, one line each, in registration order.

The order is the order of the root fields in the published schema. To add a question, write
its module in :mod:`graph_service.linkage` (a
:class:`~graph_service.linkage.question.Question` named ``QUESTION``, or a tuple of them named
``QUESTIONS`` for a family written once, as the lists) and add its name here.
"""

from __future__ import annotations

import importlib
from typing import Any

from graph_service.linkage.question import Question

MODULES: tuple[str, ...] = (
    "uncovered",
    "private_banking",
    "coverage",
    "network",
    "paths",
    "cross_sell",
    "search",
    "lists",
    "cross_sell_rollup",
    "rollup",
    "dormant",
    "leads",
    "prospects",
    "groups",
    "circles",
    "influence",
    "neighbors",
    "conversion",
)
"""Modules of :mod:`graph_service.linkage` holding one question each, in registration order."""

def _questions(module: str) -> tuple[Question[Any, Any], ...]:
    loaded = importlib.import_module(f"graph_service.linkage.{module}")
    return getattr(loaded, "QUESTIONS", None) or (loaded.QUESTION,)


QUESTIONS: tuple[Question[Any, Any], ...] = tuple(
    question for module in MODULES for question in _questions(module)
)
"""Every linkage question, in registration order."""

__all__ = ["MODULES", "QUESTIONS"]
