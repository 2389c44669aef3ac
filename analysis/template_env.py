"""The Jinja environment the templates are rendered in, and rendering one template.

StrictUndefined; every ``{{ … }}`` passes :func:`_finalize` (data text escaped for Markdown, raw
floats refused); the ``fmt_*`` filters and wording lookups of :mod:`analysis.text`. The review's own
words (``terms``: review.yml ``vocabulary``) come with the context (:mod:`analysis.context`).
Templates word decisions (:mod:`analysis.interpret`),
they do not make them.
"""

from __future__ import annotations

import re
from pathlib import Path

from analysis import METAFOR_REFERENCE_VERSION, paths, text, vocabulary
from analysis.errors import AnalysisError
from analysis.text import Safe


def _finalize(value):
    """Every ``{{ … }}`` in a template passes here: data text is escaped for Markdown, our own
    formatted text (:class:`~analysis.text.Safe`) passes, integers print as digits, and a raw
    float is refused — numbers are written only through the ``fmt_*`` filters."""
    if isinstance(value, Safe):
        return value
    if isinstance(value, bool) or value is None:
        raise TypeError(f"template printed {value!r}; test it with `if` instead")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"template printed the raw number {value!r}; use a fmt_* filter")
    return text.escape_md(value)


def _template_text(parts) -> Safe:
    """Jinja's ``concat``: what a template produces itself — a macro's output, a ``{% set %}``
    block, the rendered template — is Markdown already (each ``{{ … }}`` in it passed
    :func:`_finalize`), so printing it again does not escape it a second time."""
    return Safe("".join(parts))


def _escaped(value) -> str:
    return value if isinstance(value, Safe) else text.escape_md(value)


def _always_safe(func):
    """A formatter whose output is our own Markdown (numbers, fixed words)."""

    def wrapper(*args, **kwargs):
        out = func(*args, **kwargs)
        return None if out is None else Safe(out)

    return wrapper


def _same_safety(func):
    """A text transform: safe output only from safe input, so data text stays escaped."""

    def wrapper(value, *args, **kwargs):
        out = func(value, *args, **kwargs)
        return Safe(out) if isinstance(value, Safe) else out

    return wrapper


def citekey(key) -> Safe:
    """A BibTeX key as it may appear after ``@`` in a pandoc citation (else a ValueError, which
    :func:`render_parts` reports naming the template and line)."""
    # imported here: analysis.data loads scipy, which a build with nothing to do never needs
    from analysis.data.schema import CITEKEY_PATTERN

    if not isinstance(key, str) or not CITEKEY_PATTERN.match(key):
        raise ValueError(f"not a citation key: {key!r}")
    return Safe(key)


def figure_caption(figure: dict) -> Safe:
    """A figure's caption as Markdown: the caption text escaped, and the works it cites
    (manifest ``cites``) as a citation at the end of its first sentence, in the document's one
    citation style ("… selection of studies [@page2021]. Example review: …")."""
    caption = text.escape_md(figure["caption"])
    keys = [citekey(k) for k in figure.get("cites") or []]
    if not keys:
        return Safe(caption)
    first, dot, rest = caption.partition(". ")
    if not dot:
        first, rest = caption.removesuffix("."), ""
    return Safe(f"{first} {text.cite(keys)}.{' ' + rest if rest else ''}")


def _keys(keys) -> list[str]:
    """Citation keys from a list or from one string "a; b" (as data files write several)."""
    return re.split(r"[;,\s]+", keys.strip()) if isinstance(keys, str) else list(keys)


def template_environment(templates_dir: Path = paths.TEMPLATES_DIR, cache_dir: Path | None = None):
    """Jinja environment: StrictUndefined, Markdown-escaping finalize, the ``fmt_*`` filters and
    the phrase helpers of :mod:`analysis.text`. With ``cache_dir``, compiled templates are kept
    there for the next environment (:mod:`analysis.template_cache`)."""
    import jinja2

    bytecode_cache = None
    if cache_dir is not None:
        from analysis.template_cache import bytecode_cache as cache_in

        bytecode_cache = cache_in(cache_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        bytecode_cache=bytecode_cache,
        undefined=jinja2.StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.concat = _template_text
    numbers = (
        "fmt_num",
        "fmt_ci",
        "fmt_p",
        "fmt_int",
        "fmt_pct",
        "fmt_share",
        "fmt_per_1000_change",
        "fmt_interval",
        "spell",
        "count",
        "plural",
        "fmt_date",
        "fmt_value",
    )
    env.filters.update({name: _always_safe(getattr(text, name)) for name in numbers})
    for name in ("capitalize_first", "lower_first", "sensitivity_name"):
        env.filters[name] = _same_safety(getattr(text, name))
    env.filters["column_name"] = jinja2.pass_context(
        lambda ctx, column: text.column_name(column, ctx.get("column_labels"))
    )
    env.filters["join_and"] = lambda items: Safe(text.join_and([_escaped(x) for x in items]))
    env.filters["md"] = lambda value: Safe(_escaped(value))
    env.filters["safe"] = Safe
    env.filters["attr"] = lambda value: Safe(str(value).replace("\\", "\\\\").replace('"', '\\"'))
    env.filters["citekey"] = citekey
    env.filters["measure_kind"] = text.measure_kind
    env.globals.update(
        effect_statement=text.effect_statement,
        natural=text.natural,
        effect_object=lambda label, measure: Safe(text.effect_object(_escaped(label), measure)),
        prediction_statement=text.prediction_statement,
        pooled_ci=text.pooled_ci,
        figure_caption=figure_caption,
        pooled_pi=text.pooled_pi,
        lookup=lambda table, key: tuple(
            Safe(x) if isinstance(x, str) else x
            for x in text.lookup(getattr(text, table), key, table.lower())
        ),
        cite=lambda keys: Safe(text.cite([citekey(k) for k in _keys(keys)])),
        metafor_version=Safe(METAFOR_REFERENCE_VERSION),
        measure_names={k: Safe(v) for k, v in text.MEASURE_ABBREVIATIONS.items()},
        binary_measures=vocabulary.BINARY_MEASURES,
        table_methods={k: (Safe(v.phrase), v.cites) for k, v in vocabulary.TABLE_METHODS.items()},
        ci_methods={k: Safe(v.label) for k, v in vocabulary.CI_METHODS_TABLE.items()},
    )
    return env


def render_template(env, name: str, context: dict) -> str:
    """One template rendered; a failure in it (syntax, an undefined value, a value a filter
    refuses) becomes an AnalysisError naming the template and line."""
    import jinja2

    try:
        return env.get_template(name).render(context)
    except (jinja2.TemplateError, TypeError, ValueError, LookupError, ArithmeticError) as error:
        raise AnalysisError(
            f"template {_template_location(error, name)} failed: {type(error).__name__}: {error}"
        ) from error


def _template_location(error: Exception, name: str) -> str:
    """Where in the templates an error arose: "results.md.j2, line 75" (the innermost template
    line Jinja's traceback shows, e.g. inside a macro file), else the template's name."""
    import traceback

    if getattr(error, "lineno", None) is not None:  # syntax errors carry their own position
        return f"{Path(error.filename or name).name}, line {error.lineno}"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return name
    where = f"{Path(frames[-1].filename).name}, line {frames[-1].lineno}"
    return where if Path(frames[-1].filename).name == name else f"{where} (rendering {name})"
