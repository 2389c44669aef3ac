"""The review's hand-written sections: Markdown files in ``DATA/sections/``.

The introduction, discussion, conclusions and the declarations are the review team's own prose;
they live in the data folder with the rest of the review. The build copies each one into the
output folder (``report/_generated/sections/``), which ``report/index.qmd`` includes: Quarto
expands ``{{< include >}}`` before its pre-render step, so the manuscript can include only
files that exist on a fresh clone (committed), never a path inside ``data/``.

A section the data folder does not hold is replaced by a visible placeholder naming the file
to write (``check`` and ``build`` warn: :mod:`analysis.data.section_rules`): the manuscript
never borrows another review's text.
"""

from __future__ import annotations

from pathlib import Path

#: the data folder's sub-folder of sections, and the output's
SECTIONS_DIR = "sections"

#: section file stem -> what the section is (for the placeholder and data/README.md)
SECTIONS = {
    "introduction": "Introduction: background and the review's objectives",
    "discussion": "Discussion: interpretation of the results",
    "limitations": "Limitations of the evidence and of the review",
    "conclusions": "Conclusions",
    "acknowledgements": "Acknowledgements",
    "funding": "Funding",
    "competing_interests": "Competing interests",
    "author_contributions": "Author contributions",
}


def placeholder(name: str) -> str:
    """The visible stand-in for a section the data folder does not hold."""
    return (
        '::: {.callout-warning title="Section not written"}\n'
        f"{SECTIONS[name]}: this section has not been written yet. Write it as "
        f"`{SECTIONS_DIR}/{name}.md` in the review's data folder (Markdown; see data/README.md).\n"
        ":::\n"
    )


def section_text(data_dir: Path, name: str) -> str:
    """The text of section ``name`` ('' when its file is missing); a DataError naming
    the file when it is too large, not UTF-8 or holds a NUL byte."""
    from analysis.data.reading import read_text

    source = Path(data_dir) / SECTIONS_DIR / f"{name}.md"
    if not source.exists() and not source.is_symlink():
        return ""
    return read_text(source, f"{SECTIONS_DIR}/{name}.md")


def write_sections(data_dir: Path, out_dir: Path) -> None:
    """Write the sections (a placeholder for each missing or empty one) into
    ``out_dir/sections/``."""
    (out_dir / SECTIONS_DIR).mkdir(parents=True, exist_ok=True)
    for name in SECTIONS:
        content = (section_text(data_dir, name).strip() or placeholder(name).strip()) + "\n"
        (out_dir / SECTIONS_DIR / f"{name}.md").write_text(content, encoding="utf-8")
