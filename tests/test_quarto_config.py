"""What Quarto reads, checked without Quarto: every option name in ``_quarto.yml`` and in the
manuscript's front matter (with the metadata files it lists) is a key of Quarto's schema
(``tests/quarto_schema_keys.yml`` lists the ones we use, each with its schema file); the
crossref settings sit in the front matter, where Quarto does not rebase them and the built-in
renderer reads them; and the pre-/post-render steps start a program that always exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from analysis import paths
from analysis.build import metadata_yaml
from analysis.render import load_source, pandoc_metadata, split_front_matter

ALLOWED = yaml.safe_load((Path(__file__).parent / "quarto_schema_keys.yml").read_text("utf-8"))
QUARTO_YML = paths.ROOT / "_quarto.yml"


def unknown_keys(config: dict) -> list[str]:
    """Dotted names of the keys of ``config`` (a _quarto.yml or front matter) that
    quarto_schema_keys.yml does not list."""
    found = []

    def check(mapping, allowed: str, where: str) -> None:
        if not isinstance(mapping, dict):
            found.append(f"{where} (not a mapping)")
            return
        found.extend(f"{where}.{k}".lstrip(".") for k in mapping if k not in ALLOWED[allowed])

    check(config, "top_level", "")
    if "project" in config:
        check(config["project"], "project", "project")
    for name, options in (config.get("format") or {}).items():
        if name not in ALLOWED["formats"]:
            found.append(f"format.{name}")
        elif options not in (None, "default"):
            check(options, "format_options", f"format.{name}")
    crossref = config.get("crossref")
    if crossref is not None:
        check(crossref, "crossref", "crossref")
        for i, custom in enumerate(crossref.get("custom") or []):
            check(custom, "crossref_custom", f"crossref.custom[{i}]")
    return found


def front_matter() -> dict:
    meta, _ = split_front_matter(paths.MANUSCRIPT_SOURCE.read_text(encoding="utf-8"))
    return meta


def test_the_allowed_list_names_a_schema_file_for_every_key():
    sources = ALLOWED["schema_commits"]
    for section, keys in ALLOWED.items():
        if section in ("quarto_version", "schema_commits"):
            continue
        for key, source in keys.items():
            assert source in sources, f"{section}.{key}: {source}"
    assert all(len(commit) == 40 for commit in sources.values())


@pytest.mark.parametrize(
    ("config", "bad"),
    [
        ({"projct": {}}, ["projct"]),
        ({"project": {"outputdir": "_output"}}, ["project.outputdir"]),
        ({"format": {"html": {"themes": "none"}}}, ["format.html.themes"]),
        ({"format": {"htm": {}}}, ["format.htm"]),
        ({"crossref": {"title-delimiter": "."}}, ["crossref.title-delimiter"]),
        (
            {"crossref": {"custom": [{"kind": "float", "prefix": "S"}]}},
            ["crossref.custom[0].prefix"],
        ),
    ],
)
def test_the_check_catches_a_key_quarto_does_not_know(config, bad):
    assert unknown_keys(config) == bad


def test_quarto_yml_uses_only_schema_keys():
    assert unknown_keys(yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))) == []


def test_the_front_matter_and_its_metadata_files_use_only_schema_keys():
    meta = front_matter()
    assert unknown_keys(meta) == []
    results = json.loads((paths.ROOT / "tests" / "snapshots" / "results.json").read_text("utf-8"))
    assert unknown_keys(yaml.safe_load(metadata_yaml(results))) == []
    assert meta["metadata-files"] == ["_generated/metadata.yml"]


def test_crossref_settings_live_in_the_front_matter_not_in_quarto_yml():
    # Quarto rebases crossref.title-delim set in _quarto.yml as a path ("Figure 1..")
    assert "crossref" not in yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))
    crossref = front_matter()["crossref"]
    assert crossref["title-delim"] == "."
    assert crossref["fig-title"] == "Figure" and crossref["tbl-title"] == "Table"
    assert [c["key"] for c in crossref["custom"]] == ["suppfig"]


def test_the_built_in_renderer_reads_the_same_crossref_settings():
    loaded, _ = load_source(paths.MANUSCRIPT_SOURCE)
    html = pandoc_metadata(loaded, paths.REPORT_DIR, "html")
    assert html["crossref"] == front_matter()["crossref"]
    assert html["document-css"] is False  # format: html: document-css in the front matter


def test_pre_and_post_render_start_a_program_that_always_exists():
    # a missing program (e.g. .venv/bin/python on a fresh clone) fails with a Deno stack trace
    project = yaml.safe_load(QUARTO_YML.read_text(encoding="utf-8"))["project"]
    assert project["pre-render"] == "sh tools/setup.sh pre-render"
    assert project["post-render"] == "sh tools/setup.sh post-render"
    assert (paths.ROOT / "tools" / "setup.sh").is_file()
    assert project["output-dir"] == "_output" and project["render"] == ["report/index.qmd"]
    # Quarto writes output-dir/<the source's folder>/: the built-in renderer's default too
    assert paths.MANUSCRIPT_OUTPUT_DIR == paths.ROOT / "_output" / "report"
