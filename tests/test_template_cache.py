"""Compiled templates kept between builds (:mod:`analysis.template_cache`): used by the next
environment, and never in the way of a template edit, a code change or a damaged entry."""

from __future__ import annotations

import shutil

import jinja2
import pytest

from analysis import paths, template_cache
from analysis.template_env import template_environment

NAME = "results.md.j2"


@pytest.fixture
def templates(tmp_path):
    return shutil.copytree(paths.TEMPLATES_DIR, tmp_path / "templates")


def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from here on."""
    names: list[str] = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        names.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def test_the_second_environment_loads_compiled_templates(templates, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    template_environment(templates, cache).get_template(NAME)
    names = compiles(monkeypatch)
    template_environment(templates, cache).get_template(NAME)
    assert names == []


def test_a_template_edit_takes_effect(templates, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    template_environment(templates, cache).get_template("banner.md.j2")
    (templates / "banner.md.j2").write_text("edited\n", encoding="utf-8")
    names = compiles(monkeypatch)
    env = template_environment(templates, cache)
    assert env.get_template("banner.md.j2").render() == "edited\n"
    assert names == ["banner.md.j2"]


def test_a_damaged_entry_is_compiled_again(templates, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    template_environment(templates, cache).get_template(NAME)
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:20])  # Jinja's header, then a cut-off checksum
    names = compiles(monkeypatch)
    template_environment(templates, cache).get_template(NAME)
    assert NAME in names


def test_a_code_change_empties_the_cache(templates, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    template_environment(templates, cache).get_template(NAME)
    old = {p.name for p in cache.iterdir()}
    monkeypatch.setattr(template_cache, "code_version", lambda: "f" * 64)
    names = compiles(monkeypatch)
    template_environment(templates, cache).get_template(NAME)
    assert NAME in names and {p.name for p in cache.iterdir()} == {"f" * 16} != old
