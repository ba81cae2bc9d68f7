"""Sphinx extension of the book: offline MathJax and the claim scoreboard.

- MathJax 3 (SVG output, so no web fonts) is copied from the ``django-static-mathjax`` package into
  ``_static/mathjax/``: every page renders math without reaching a CDN.
- ``book/performance.md`` holds ``<!-- performance -->``, replaced by the table of ``bench/results.json``.
- ``book/scoreboard.md`` holds the marker ``<!-- scoreboard -->``; at build time it is replaced by a table built
  from the ``claims`` record each chapter glued into its stored ``.ipynb``: nothing is typed by hand.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

MATHJAX_FILE = "tex-svg-full.js"
MARKER = "<!-- scoreboard -->"
PERF_MARKER = "<!-- performance -->"


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
            holds = "reported" if c["kind"] == "reported" else ("**True**" if c["holds"] else "**False**")
            cells = [f"[{record['chapter']}](../notebooks/{nb.stem}.ipynb)", c["id"], c["kind"], c["claim"],
                     c["measured"], c["threshold"], holds]
            lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines)


def performance_markdown(results_file: Path) -> str:
    """MyST tables of the last ``bench/results.json`` beside the issue's targets."""
    if not results_file.exists():
        return "*No benchmark results yet: run `make bench`.*"
    r = json.loads(results_file.read_text())
    t, ts, ev, da = r["targets"], r["training_step"], r["evaluation"], r["data"]
    m = r["machine"]
    rows = [("whole book at book scale (minutes)", r["book_minutes"], f"<= {t['book_minutes']}")]
    rows += [(f"chapter {c['chapter']} (seconds; {c['source']})", c["seconds"], "") for c in r["chapters"]]
    rows += [(f"peak memory, chapter {c['chapter']} (MiB)", c["peak_rss_mib"], "") for c in r["chapters"]
             if c.get("peak_rss_mib")]
    rows += [("training step: minimal loop / ibcore speed", ts["speed_ratio"], f">= {t['step_speed_ratio']}"),
             (f"training step, ibcore (ms; Burgess conv, batch 64, {ts['resolution']} px)", ts["ibcore_ms"], ""),
             ("training step, minimal loop (ms)", ts["minimal_ms"], ""),
             (f"MIG on {ev['codes']:,} codes (s)", ev["mig_seconds"], f"<= {t['mig_seconds']}"),
             (f"DCI on {ev['codes']:,} codes (s)", ev["dci_seconds"], ""),
             (f"exact KL decomposition on {ev['codes']:,} codes (s)", ev["exact_decomposition_seconds"],
              f"<= {t['exact_decomposition_seconds']}"),
             (f"dSprites: all 737,280 images at {da['resolution']} px, bit-packed (s)", da["all_seconds"],
              f"<= {t['dsprites_all_seconds']}"),
             ("dSprites: peak memory of that, above an idle interpreter (MiB)", da["render_rss_mib"],
              f"<= {t['dsprites_all_mib']}"),
             ("dSprites: a random batch of 256 (ms)", da["batch256_ms"], "")]
    lines = [f"Machine: {m['cpus']} CPUs, {m['threads']} torch threads, Python {m['python']}, torch {m['torch']}"
             + (" (**tiny run**: sizes too small to mean anything)" if r.get("tiny") else ""), "",
             "| measure | value | target |", "| --- | --- | --- |"]
    lines += [f"| {name} | {'' if v is None else f'{v:,.3f}'} | {target} |" for name, v, target in rows]
    return "\n".join(lines)


def _fill_scoreboard(app, docname: str, source: list[str]) -> None:
    if MARKER in source[0]:
        notebooks = sorted((Path(app.srcdir) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        source[0] = source[0].replace(MARKER, scoreboard_markdown(notebooks))
    if PERF_MARKER in source[0]:
        source[0] = source[0].replace(PERF_MARKER, performance_markdown(Path(app.srcdir) / "bench" / "results.json"))


def _always_outdated(app, env, added, changed, removed):
    # the scoreboard depends on every chapter's notebook: rebuild it on every build
    return [d for d in ("book/scoreboard", "book/performance") if d in env.found_docs]


def setup(app):
    app.connect("config-inited", _set_mathjax)
    app.connect("source-read", _fill_scoreboard)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
