"""Every path the project uses, in one place."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
TEMPLATES_DIR = ROOT / "templates"
REPORT_DIR = ROOT / "report"
GENERATED_DIR = REPORT_DIR / "_generated"
OUTPUT_DIR = ROOT / "_output"
MANUSCRIPT_SOURCE = REPORT_DIR / "index.qmd"
# where the manuscript lands from both paths: Quarto writes output-dir/<the source's folder>/
MANUSCRIPT_OUTPUT_DIR = OUTPUT_DIR / MANUSCRIPT_SOURCE.parent.relative_to(ROOT)
STYLES_DIR = REPORT_DIR / "styles"
PRINT_CSS = STYLES_DIR / "print.css"
SCREEN_CSS = STYLES_DIR / "screen.css"
#: the HTML's stylesheets in cascade order (print.css holds only ``@media print`` rules)
STYLESHEETS = (SCREEN_CSS, PRINT_CSS)
CSL_FILE = STYLES_DIR / "vancouver.csl"
COMPAT_FILTER = REPORT_DIR / "filters" / "quarto-compat.lua"
METHODS_BIB = REPORT_DIR / "references.bib"


def data_folder(data_dir: Path) -> str:
    """The data folder as the manuscript names it: relative to the repository when inside it,
    otherwise its name."""
    resolved = Path(data_dir).resolve()
    if resolved.is_relative_to(ROOT):
        return resolved.relative_to(ROOT).as_posix() or "."
    return resolved.name
