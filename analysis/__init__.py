"""Meta-analysis manuscript builder: data/ -> analysis -> figures and text -> manuscript."""

__version__ = "0.1.0"
