"""Meta-analysis manuscript builder: data/ -> analysis -> figures and text -> manuscript."""

__version__ = "0.1.0"
#: the metafor release the engine's reference values were computed with (every fixture in
#: tests/fixtures records it; tests/test_cli.py checks they agree)
METAFOR_REFERENCE_VERSION = "3.8-1"
