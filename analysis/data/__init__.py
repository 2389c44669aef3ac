"""The review's data: the contract (``schema``), reading, conversions, validation and loading.

``load_review(data_dir)`` returns a validated :class:`~analysis.data.schema.Review` or raises a
:class:`~analysis.errors.DataError` listing every problem.
"""

from analysis.data.loading import load_review
from analysis.data.schema import Review

__all__ = ["Review", "load_review"]
