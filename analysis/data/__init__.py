"""The review's data: the contract (``schema``), reading, conversions, validation and loading.

``load_review(data_dir)`` returns a validated :class:`~analysis.data.schema.Review` or raises a
:class:`~analysis.errors.DataError` listing every problem. Both are imported on first use, so
that ``meta`` can use the CSV reader and the cell rules without loading the whole loader (and
SciPy's statistics, which the conversions need).
"""

from __future__ import annotations

import importlib

__all__ = ["Review", "load_review"]
_LAZY = {"load_review": "analysis.data.loading", "Review": "analysis.data.schema"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'analysis.data' has no attribute {name!r}")
