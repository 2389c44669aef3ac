"""The review's hand-written sections: Markdown files in ``DATA/sections/``.

The introduction, discussion, conclusions and the declarations are the review team's own prose;
they live in the data folder with the rest of the review. The build copies each one into the
output folder (``report/_generated/sections/``), which ``report/index.qmd`` includes: Quarto
expands ``{{< include >}}`` before its pre-render step, so the manuscript can include only
files that exist on a fresh clone (committed), never a path inside ``data/``.

A section the data folder does not hold is replaced by a visible placeholder naming the file
to write, and the build warns: the manuscript never borrows another review's text.
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


def section_parts(data_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Output file name (``sections/NAME.md``) -> Markdown, and a warning per missing section.

    A file that holds only white space counts as missing."""
    parts: dict[str, str] = {}
    warnings: list[str] = []
    for name in SECTIONS:
        source = data_dir / SECTIONS_DIR / f"{name}.md"
        text = source.read_text(encoding="utf-8-sig").strip() if source.is_file() else ""
        if not text:
            warnings.append(
                f"{SECTIONS_DIR}/{name}.md is missing or empty: "
                "the manuscript shows a placeholder there"
            )
            text = placeholder(name).strip()
        parts[f"{SECTIONS_DIR}/{name}.md"] = text + "\n"
    return parts, warnings


def write_sections(data_dir: Path, out_dir: Path, log=print) -> None:
    """Write the sections (or their placeholders) into ``out_dir/sections/``; log warnings."""
    parts, warnings = section_parts(data_dir)
    (out_dir / SECTIONS_DIR).mkdir(parents=True, exist_ok=True)
    for name, content in parts.items():
        (out_dir / name).write_text(content, encoding="utf-8")
    for warning in warnings:
        log(f"  warning: {warning}")
