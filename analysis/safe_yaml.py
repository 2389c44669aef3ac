"""The one YAML loader of the project: every YAML file (review.yml, prisma.yml, grade.yml,
templates/terms.yml, the manuscript's front matter and metadata files) is read through
:func:`load_yaml`.

PyYAML's ``safe_load`` builds no objects, but it still accepts inputs that hang or exhaust a
machine, or that silently lose data. This loader refuses, with the file and line:

- files larger than :data:`MAX_BYTES`;
- nesting deeper than :data:`MAX_DEPTH` (``safe_load`` would raise RecursionError);
- more than :data:`MAX_ALIASES` aliases, or a document whose aliases expand to more than
  :data:`MAX_NODES` nodes ("billion laughs": 417 bytes that expand to 10⁹ values);
- a key repeated in one mapping (``safe_load`` keeps the last one silently);
- non-finite numbers (``.inf``, ``.nan``, ``1.0e999``);
- dates that do not exist (``2024-13-45``, ``2023-02-30``).

Booleans are YAML 1.2's, as in Quarto (js-yaml): only ``true`` and ``false`` are booleans;
``yes``, ``no``, ``on``, ``off`` are text as written (PyYAML's YAML 1.1 turns a vocabulary word
``No`` into ``False``, and a keyword ``on`` into ``True``).

Messages name the line and at most :data:`SHOWN_CHARS` characters of a key: never the
(possibly expanded) value.
"""

from __future__ import annotations

import math

import yaml

MAX_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_ALIASES = 100
MAX_NODES = 100_000
SHOWN_CHARS = 40


class YamlLimitError(Exception):
    """A YAML text the loader refuses: ``line`` (1-based, or None) and ``reason``."""

    def __init__(self, reason: str, line: int | None = None):
        self.reason = reason
        self.line = line
        super().__init__(f"{reason} (line {line})" if line else reason)


def _line(node) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader with limits on depth, aliases and expanded size, duplicate keys refused."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlLimitError(
                    f"more than {MAX_ALIASES} aliases (*name)", _line(self.peek_event())
                )
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlLimitError(
                f"nesting deeper than {MAX_DEPTH} levels", _line(self.peek_event())
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:  # as written: before merge keys (<<) are expanded
                if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                    continue
                key = key_node.value
                if key in seen:
                    raise YamlLimitError(
                        f"key '{_short(key)}' given twice in one mapping (first on line "
                        f"{seen[key]}): keep one",
                        _line(key_node),
                    )
                seen[key] = _line(key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise YamlLimitError(f"'{_short(node.value)}' is not a finite number", _line(node))
        return value

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise YamlLimitError(
                f"'{_short(node.value)}' is not a real date (write it as YYYY-MM-DD)", _line(node)
            ) from None

    def construct_yaml_bool(self, node):
        """YAML 1.2 booleans: true/false (any case); yes/no/on/off stay the text written."""
        if node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        return self.construct_scalar(node)


_LimitedLoader.add_constructor("tag:yaml.org,2002:float", _LimitedLoader.construct_yaml_float)
_LimitedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _LimitedLoader.construct_yaml_timestamp
)
_LimitedLoader.add_constructor("tag:yaml.org,2002:bool", _LimitedLoader.construct_yaml_bool)


def _expanded_size(root) -> int:
    """Nodes of the document with every alias expanded (shared nodes counted per use)."""
    sizes: dict[int, int] = {}

    def size(node) -> int:  # depth is bounded by MAX_DEPTH, so recursion is safe
        if id(node) in sizes:
            return sizes[id(node)]
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            total = 1
        sizes[id(node)] = min(total, MAX_NODES + 1)
        return sizes[id(node)]

    return size(root)


def load_yaml(text: str):
    """Parse one YAML document within the limits above.

    Raises
    ------
    YamlLimitError
        for a refused input (line and reason);
    yaml.YAMLError
        for a syntax error (its ``problem_mark`` holds the line).
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlLimitError(f"larger than {MAX_BYTES:,} bytes")
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node) > MAX_NODES:
            raise YamlLimitError(
                f"aliases expand to more than {MAX_NODES:,} values (an alias bomb?)"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def error_reason(error: Exception) -> tuple[str, int | None]:
    """The reason a YAML text was refused or is invalid, and its line (or None); never a
    value (PyYAML's problem names a character or a tag at most)."""
    if isinstance(error, YamlLimitError):
        return error.reason, error.line
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None)
    reason = f"invalid YAML: {problem}" if problem else "invalid YAML"
    if mark is None:
        return reason, None
    return f"{reason} (column {mark.column + 1})", mark.line + 1


def describe_error(error: Exception) -> str:
    """:func:`error_reason` as one line: "reason (line N)"."""
    reason, line = error_reason(error)
    return f"{reason} (line {line})" if line else reason
