"""Every path the project uses, in one place."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
TEMPLATES_DIR = ROOT / "templates"
REPORT_DIR = ROOT / "report"
GENERATED_DIR = REPORT_DIR / "_generated"
OUTPUT_DIR = ROOT / "_output"
