"""The built-in renderer's HTML rewritten into the markup Quarto 1.10 writes for the same source
with ``theme: none``, so that the stylesheets can be checked against Quarto's HTML without
Quarto. The markup follows quarto-cli's sources:

* floats (``src/resources/filters/customnodes/floatreftarget.lua``, HTML renderer):
  ``div#ID.quarto-float.quarto-figure.quarto-figure-center > figure.quarto-float.quarto-float-KIND``
  holding ``div[aria-describedby]`` with the content and a ``figcaption.quarto-float-caption-…``
  (below a figure, above a table, whose ``<caption>`` it replaces);
* callouts without Bootstrap (``…/customnodes/callout.lua``, ``simpleCallout``): a class-less
  ``div > blockquote`` whose first paragraph is the bold title;
* with ``document_css``, pandoc's default styles in a ``<style>`` element at the top of the head
  (``src/resources/formats/html/pandoc/styles.html``, included unless ``document-css: false``).
"""

from __future__ import annotations

import re

CAPTION_UUID = "0ceaefa1-69ba-4598-a22c-09a6ac19f8ca"  # as floatreftarget.lua writes it


def _float(identifier: str, kind: str, content: str, caption: str, top: bool) -> str:
    caption_id = f"{identifier}-caption-{CAPTION_UUID}"
    place = "top" if top else "bottom"
    figcaption = (
        f'<figcaption id="{caption_id}" class="quarto-float-caption-{place} '
        f'quarto-float-caption quarto-float-{kind}">{caption}</figcaption>'
    )
    body = f'<div aria-describedby="{caption_id}">{content}</div>'
    inner = figcaption + body if top else body + figcaption
    return (
        f'<div id="{identifier}" class="quarto-float quarto-figure quarto-figure-center anchored">'
        f'<figure class="quarto-float quarto-float-{kind} figure">{inner}</figure></div>'
    )


def _figure(match: re.Match) -> str:
    identifier, content, caption = match.group(1), match.group(2), match.group(3)
    kind = identifier.split("-", 1)[0]
    return _float(identifier, kind, content, caption, top=False)


def _table(match: re.Match) -> str:
    identifier, caption, rest = match.group(1), match.group(2), match.group(3)
    table = f'<table class="caption-top table">{rest}</table>'
    return _float(identifier, "tbl", table, caption, top=True)


def _callout(match: re.Match) -> str:
    title, body = match.group(1).strip(), match.group(2)
    return f"<div><blockquote><p>{title}</p>{body}</blockquote></div>"


def quarto_shaped(html: str, document_css: str | None = None) -> str:
    """``html`` (from the built-in renderer) with Quarto's float and callout markup."""
    html = re.sub(
        r'<figure id="([^"]+)">(.*?)<figcaption>(.*?)</figcaption>\s*</figure>',
        _figure,
        html,
        flags=re.DOTALL,
    )
    html = re.sub(
        r'<div class="table-block">\s*<table id="([^"]+)">\s*<caption>(.*?)</caption>(.*?)'
        r"</table>\s*</div>",
        _table,
        html,
        flags=re.DOTALL,
    )
    html = re.sub(
        r'<div class="callout callout-\w+">\s*<div class="callout-title">(.*?)</div>(.*?)</div>',
        _callout,
        html,
        flags=re.DOTALL,
    )
    if document_css:
        html = html.replace("<head>", f"<head>\n<style>\n{document_css}\n</style>", 1)
    return html
