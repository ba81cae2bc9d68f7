"""Sphinx extension of the book: offline MathJax and the claim scoreboard.

- MathJax 3 (SVG output, so no web fonts) is copied from the ``django-static-mathjax`` package into
  ``_static/mathjax/``: every page renders math without reaching a CDN.
- ``book/scoreboard.md`` holds the marker ``{scoreboard}``; at build time it is replaced by a table built
  from the ``claims`` record each chapter glued into its stored ``.ipynb``: nothing is typed by hand.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

MATHJAX_FILE = "tex-svg-full.js"
MARKER = "<!-- scoreboard -->"


def _mathjax_source() -> Path:
    import mathjax  # the django-static-mathjax package

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / MATHJAX_FILE


def _set_mathjax(app, config) -> None:
    config.mathjax_path = f"mathjax/{MATHJAX_FILE}"


def _copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        target = Path(app.outdir) / "_static" / "mathjax"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(_mathjax_source(), target / MATHJAX_FILE)


def read_claims(notebook: Path) -> dict | None:
    """The ``claims`` record a chapter glued into its stored notebook (None if it has none)."""
    nb = json.loads(notebook.read_text())
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("metadata", {}).get("scrapbook", {}).get("name") == "claims":
                data = out["data"]
                text = next(v for k, v in data.items() if k.endswith("text/plain"))
                text = "".join(text) if isinstance(text, list) else text
                return json.loads(ast.literal_eval(text))
    return None


def scoreboard_markdown(notebooks: list[Path]) -> str:
    """A MyST table: one row per claim of every chapter, from the chapters' own records."""
    lines = ["| chapter | id | kind | claim | measured | threshold | holds |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for nb in notebooks:
        record = read_claims(nb)
        if record is None:
            lines.append(f"| [{nb.stem}](../notebooks/{nb.stem}.ipynb) | | | (no claims recorded) | | | |")
            continue
        for c in record["claims"]:
            holds = "reported" if c["kind"] == "reported" else ("✅ True" if c["holds"] else "❌ False")
            cells = [f"[{record['chapter']}](../notebooks/{nb.stem}.ipynb)", c["id"], c["kind"], c["claim"],
                     c["measured"], c["threshold"], holds]
            lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines)


def _fill_scoreboard(app, docname: str, source: list[str]) -> None:
    if MARKER in source[0]:
        notebooks = sorted((Path(app.srcdir) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        source[0] = source[0].replace(MARKER, scoreboard_markdown(notebooks))


def _always_outdated(app, env, added, changed, removed):
    # the scoreboard depends on every chapter's notebook: rebuild it on every build
    return ["book/scoreboard"] if "book/scoreboard" in env.found_docs else []


def setup(app):
    app.connect("config-inited", _set_mathjax)
    app.connect("source-read", _fill_scoreboard)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
