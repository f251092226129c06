"""The question registry: every linkage question, one line each, in registration order.

The order is the order of the root fields in the published schema. To add a question, write
its module in :mod:`graph_service.linkage` (a
:class:`~graph_service.linkage.question.Question` named ``QUESTION``) and add its name here.
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
    "conversion",
)
"""Modules of :mod:`graph_service.linkage` holding one question each, in registration order."""

QUESTIONS: tuple[Question[Any, Any], ...] = tuple(
    importlib.import_module(f"graph_service.linkage.{module}").QUESTION for module in MODULES
)
"""Every linkage question, in registration order."""

__all__ = ["MODULES", "QUESTIONS"]
