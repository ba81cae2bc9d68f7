"""Sphinx extension of the book's HTML: one copy of each inline script, and the chapters' ``.py`` to download.

- Sphinx 7.4 adds every inline script registered after the builder started (sphinx-thebe's
  ``const THEBE_JS_URL = ...``, sphinx-togglebutton's selector) a second time, once with the file name
  ``None`` and once with ``''`` (``StandaloneHTMLBuilder.prepare_writing`` re-adds the registry's scripts
  as ``filename or ''``). A ``const`` declared twice is a JavaScript error on every page
  ("Identifier 'THEBE_JS_URL' has already been declared"); each page keeps the first copy only.
- A chapter's source is its jupytext ``notebooks/NN_slug.py``: it is copied to
  ``_sources/notebooks/NN_slug.py`` and the page's download menu offers it as ``.py`` in place of the
  second ``.ipynb`` entry (the theme's "source file" entry, which for a notebook is the ``.ipynb`` again).
"""

from __future__ import annotations

import shutil
from pathlib import Path


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", str(script)) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))


def _one_copy_of_each_script(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def _chapter_source(app, pagename: str) -> Path | None:
    if not pagename.startswith("notebooks/"):
        return None
    py = Path(app.srcdir) / f"{pagename}.py"
    return py if py.is_file() else None


def _offer_the_py(app, pagename, templatename, context, doctree) -> None:
    py = _chapter_source(app, pagename)
    if py is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "download-buttons":
            continue
        buttons = [b for b in group["buttons"] if b.get("label") != "download-source-button"]
        entry = {"type": "link", "url": context["pathto"](f"_sources/{pagename}.py", 1), "text": ".py",
                 "tooltip": "Download the chapter's source (jupytext percent format)", "icon": "fas fa-file-code",
                 "label": "download-py-button"}
        group["buttons"] = buttons[:1] + [entry] + buttons[1:]


def _copy_chapter_sources(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for docname in app.env.found_docs:
        py = _chapter_source(app, docname)
        if py is not None:
            target = Path(app.outdir) / "_sources" / f"{docname}.py"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(py, target)


def setup(app):
    # after sphinx-book-theme's header buttons (priority 501)
    app.connect("html-page-context", _one_copy_of_each_script, priority=900)
    app.connect("html-page-context", _offer_the_py, priority=900)
    app.connect("build-finished", _copy_chapter_sources)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
