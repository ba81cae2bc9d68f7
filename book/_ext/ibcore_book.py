"""Sphinx extension of the book: offline MathJax and the claim scoreboard.

- MathJax 3 (SVG output, so no web fonts) is copied from the ``django-static-mathjax`` package into
  ``_static/mathjax/``: every page renders math without reaching a CDN.
- ``book/performance.md`` holds ``<!-- performance -->``, replaced by the table of ``bench/results.json``.
- ``book/scoreboard.md`` holds the marker ``<!-- scoreboard -->``; at build time it is replaced by a table built
  from the ``claims`` record each chapter glued into its stored ``.ipynb``: nothing is typed by hand.
- ``book/intro.md`` holds ``<!-- unconfirmed -->``: the lecture's claims the book finds contradicted, fragile
  or failing, the same list as the scoreboard's.
- A chapter's closing section holds the directive ``{confirmation-seeds}`` with its number: at build time it
  becomes the chapter's own rows of ``results/robustness.json`` (k/5, control k/5, median and range, the
  verdict over the seeds against seed 0's), and a sentence naming the claims the seeds do not confirm. The
  chapter's prose is a comment to its code, so this block changes neither its outputs nor its sweep key.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

MATHJAX_FILE = "tex-svg-full.js"
MARKER = "<!-- scoreboard -->"
ROBUST_MARKER = "<!-- robustness -->"
PERF_MARKER = "<!-- performance -->"
UNCONFIRMED_MARKER = "<!-- unconfirmed -->"
UNCONFIRMED = ("fails", "fails (control holds)", "no control", "fragile", "contradicts", "inconclusive")


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
    from ibcore.claims import read_record

    return read_record(notebook)


def read_robustness(path: Path) -> dict | None:
    """``results/robustness.json`` (written by ``python -m ibcore.sweep summarize``), or None."""
    return json.loads(path.read_text()) if path.exists() else None


def _num(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:,.0f}"
    return str(v)


def _cell(x) -> str:
    return str(x).replace("|", "\\|").replace("\n", " ")


def board_verdict(claim: dict, robust: dict | None) -> tuple[str, str]:
    """(verdict, seeds) for one claim: the seed-0 verdict, overruled by the confirmation seeds when they ran.

    Asserted: ``fails`` (not evidence on seed 0: fails, its control holds, or it has no control),
    ``holds`` (evidence on seed 0 and robust over the seeds), ``fragile`` (evidence on fewer than 4 of 5),
    ``holds (seed 0)`` while no sweep covers it. Reported: the seeds' verdict, else seed 0's.
    """
    if claim["kind"] == "asserted":
        if not claim.get("evidence"):
            v = {"fails": "fails", "control holds": "fails (control holds)",
                 "no control": "no control"}.get(claim.get("verdict"), "fails")
        elif robust is None or robust.get("verdict") == "incomplete":
            v = "holds (seed 0)"
        else:
            v = "holds" if robust["verdict"] == "robust" else "fragile"
        seeds = "" if robust is None else f"{robust['evidence']}/{robust['seeds_asked']}"
    else:
        v = claim.get("verdict") or "reported"
        if robust is not None and robust.get("verdict") != "incomplete":
            v = robust["verdict"]
        counts = (robust or {}).get("verdict_counts", {})
        seeds = "" if robust is None else f"{counts.get(v, 0)}/{robust['seeds_asked']} {v}"
    return v, seeds


def scoreboard_rows(notebooks: list[Path], robustness: dict | None) -> list[dict]:
    """One row per claim of every chapter, from the chapters' records and the sweep's summary."""
    by_key = {(r["chapter"], r["id"]): r for r in (robustness or {}).get("claims", [])}
    rows = []
    for nb in notebooks:
        record = read_claims(nb)
        if record is None or record.get("schema") != 2:
            rows.append({"nb": nb, "chapter": nb.stem[:2], "missing": True})
            continue
        for c in record["claims"]:
            verdict, seeds = board_verdict(c, by_key.get((record["chapter"], c["id"])))
            rows.append({"nb": nb, "chapter": record["chapter"], "claim": c, "verdict": verdict, "seeds": seeds})
    return rows


def unconfirmed_markdown(rows: list[dict]) -> str:
    """A list of the claims whose verdict is not ``holds`` / ``supports`` (worst first), each with its
    chapter, slide and the seeds' count; "None." when there are none."""
    bad = [r for r in rows if not r.get("missing") and r["verdict"] in UNCONFIRMED]
    bad.sort(key=lambda r: (UNCONFIRMED.index(r["verdict"]) if r["verdict"] != "contradicts" else -1, r["chapter"]))
    if not bad:
        return "None."
    return "\n".join(f"- chapter [{r['chapter']}](../notebooks/{r['nb'].stem}.ipynb), slide {r['claim'].get('slide', '')}: "
                     f"{_cell(r['claim']['claim'])} (**{r['verdict']}**" + (f", seeds {r['seeds']}" if r['seeds'] else "")
                     + ")" for r in bad)


def scoreboard_markdown(notebooks: list[Path], robustness: dict | None = None) -> str:
    """The scoreboard: a count of claims by verdict, the lecture claims found contradicted or unconfirmed,
    and one row per claim (slide, claim, seed-0 value, threshold, control, seeds k/n, verdict)."""
    from collections import Counter

    rows = scoreboard_rows(notebooks, robustness)
    counts = Counter(r["verdict"] for r in rows if not r.get("missing"))
    sweep = ("no confirmation sweep has run yet (`make sweep`): verdicts are seed 0's" if robustness is None else
             f"confirmation seeds {', '.join(map(str, robustness['seeds']))} at {robustness['scale']} scale "
             f"({len(robustness['runs'])} runs; {len(robustness['failed_runs'])} failed)")
    out = ["**Claims by verdict**: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f"; {sweep}.", ""]
    out += ["(contradicted-or-unconfirmed)=", "## Contradicted or unconfirmed", "", unconfirmed_markdown(rows)]
    out += ["", "## Every claim", "",
            "| ch. | slide | claim | value (seed 0) | threshold | control (seed 0) | seeds k/n | verdict |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        link = f"[{r['chapter']}](../notebooks/{r['nb'].stem}.ipynb)"
        if r.get("missing"):
            out.append(f"| {link} | | (no claims record of this book's version: re-execute the chapter) | | | | | |")
            continue
        c = r["claim"]
        unit = f" {c['unit']}" if c.get("unit") else ""
        threshold = f"{c['op']} {_num(c['threshold'])}" if c.get("op") else ""
        control = "" if c.get("control") is None else f"{_cell(c['control'])}: {_num(c.get('control_value'))}"
        cells = [link, c.get("slide", ""), f"{c['id']}: {_cell(c['claim'])}", _num(c.get("value")) + unit,
                 threshold, control, r["seeds"], f"**{r['verdict']}**"]
        out.append("| " + " | ".join(str(x) for x in cells) + " |")
    return "\n".join(out)


def robustness_markdown(robustness: dict | None, figure: str | None, chapters: list[str] | None = None) -> str:
    """The Robustness page: the verdict rule, a strip plot of every seed against its threshold, the table.
    ``chapters``: the book's chapter numbers ("01", ...); those with no confirmation run are named."""
    if robustness is None:
        return ("*No confirmation sweep yet.* Run `make sweep` (seeds 1-5 at book scale on Dask), then "
                "`python -m ibcore.sweep summarize`; this page is rebuilt from `results/robustness.json`.")
    out = [f"Confirmation seeds {', '.join(map(str, robustness['seeds']))} at {robustness['scale']} scale; "
           f"rule: {robustness['rule']}. {len(robustness['runs'])} runs, "
           f"{len(robustness['failed_runs'])} failed.", ""]
    swept = {str(r["chapter"]) for r in robustness["runs"]}
    missing = [c for c in (chapters or []) if c not in swept]
    if missing:
        out[-1:-1] = [f"**Not swept yet:** chapter{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                      "their verdicts rest on the development seed 0 alone."]
    if figure:
        out += [f"```{{figure}} {figure}", ":name: fig-robustness", ":width: 100%", "",
                "Every confirmation seed of every claim, as its distance to the threshold in the direction the "
                "claim predicts, scaled per claim (right of the line: the claim holds). Dots: the claim; "
                "crosses: its control, which must fall left of the line.", "```", ""]
    out += ["| ch. | claim | held | control held | evidence | median [min, max] | verdict |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in robustness["claims"]:
        v = r["value"]
        spread = "" if v["median"] is None else f"{_num(v['median'])} [{_num(v['min'])}, {_num(v['max'])}] {r['unit']}"
        ctrl = f"{r['control_held']}/{r['control_n']}" if r.get("control_n") else "-"
        out.append(f"| {r['chapter']} | {r['id']}: {_cell(r['claim'])} | {r['held']}/{r['n']} | {ctrl} | "
                   f"{r['evidence']}/{r['n']} | {spread} | **{r['verdict']}** |")
    for f in robustness["failed_runs"]:
        out.append(f"\nFailed run: chapter {f['chapter']}, seed {f['seed']}: `{f['error']}`")
    return "\n".join(out)


def confirmation_markdown(robustness: dict | None, chapter: str, record: dict | None = None) -> str:
    """A chapter's own rows of the confirmation sweep, for the ``{confirmation-seeds}`` directive.

    ``record``: the chapter's seed-0 claims record (its stored notebook's), to set each claim's seed-0
    verdict beside the seeds'. Names the claims the seeds do not confirm: fragile asserted claims, and
    reported claims whose verdict over the seeds is not seed 0's.
    """
    rows = [r for r in (robustness or {}).get("claims", []) if str(r["chapter"]) == chapter]
    if not rows:
        return ("*No confirmation run of this chapter is stored yet* (`make sweep`): every verdict above rests on "
                "the development seed 0 alone.")
    seed0 = {c["id"]: c for c in (record or {}).get("claims", [])}
    seeds = ", ".join(map(str, robustness["seeds"]))
    out = [f"The same chapter, unchanged, on the confirmation seeds {seeds} at {robustness['scale']} scale "
           f"(`results/robustness.json`, written by `python -m ibcore.sweep summarize`; rule: {robustness['rule']}).",
           "", "| claim | kind | seeds: held / control held / evidence | median [min, max] | seed 0 | seeds |",
           "| --- | --- | --- | --- | --- | --- |"]
    fragile, changed, incomplete = [], [], []
    for r in rows:
        v = r["value"]
        spread = "" if v["median"] is None else f"{_num(v['median'])} [{_num(v['min'])}, {_num(v['max'])}] {r['unit']}"
        ctrl = f"{r['control_held']}/{r['control_n']}" if r.get("control_n") else "-"
        c0 = seed0.get(r["id"], {})
        if r["kind"] == "asserted":
            counts = f"{r['held']}/{r['n']} / {ctrl} / {r['evidence']}/{r['n']}"
            v0 = "evidence" if c0.get("evidence") else (c0.get("verdict") or "")
        else:
            vc = r.get("verdict_counts", {})
            counts = ", ".join(f"{k} {n}/{r['n']}" for k, n in sorted(vc.items(), key=lambda kv: -kv[1]))
            v0 = c0.get("verdict") or ""
        out.append(f"| {r['id']}: {_cell(r['claim'])} | {r['kind']} | {counts} | {spread} | {v0} | **{r['verdict']}** |")
        if r["verdict"] == "incomplete":
            incomplete.append(r["id"])
        elif r["kind"] == "asserted" and r["verdict"] != "robust":
            fragile.append(r["id"])
        elif r["kind"] != "asserted" and v0 and r["verdict"] != v0:
            changed.append(f"{r['id']} ({v0} on seed 0, {r['verdict']} over the seeds)")
    out.append("")
    asserted = [r for r in rows if r["kind"] == "asserted"]
    if fragile:
        out.append(f"**Fragile:** asserted claim{'s' if len(fragile) > 1 else ''} {', '.join(fragile)} held with "
                   "{} control failing on fewer seeds than the rule asks: seed 0's verdict is not confirmed.".format(
                       "their" if len(fragile) > 1 else "its"))
    elif asserted:
        out.append("Every asserted claim of this chapter is **robust**: it held, with its control failing, on as "
                   "many seeds as the rule asks.")
    if changed:
        out.append(f"**Not kept by the seeds:** reported claim{'s' if len(changed) > 1 else ''} "
                   f"{'; '.join(changed)}.")
    if incomplete:
        out.append(f"*Incomplete:* claim{'s' if len(incomplete) > 1 else ''} {', '.join(incomplete)} lack "
                   "confirmation runs of the current code.")
    return "\n".join(out)


def robustness_figure(robustness: dict, path: Path) -> bool:
    """Strip plot of per-seed margins (value minus threshold, signed so that > 0 holds, scaled per claim)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in robustness["claims"] if r.get("op") and r.get("threshold") is not None]
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.0))
    for i, r in enumerate(rows):
        sign = 1.0 if r["op"] in (">", ">=") else -1.0
        vals = [p["value"] for p in r["per_seed"] if p["value"] is not None]
        ctrl = [p["control_value"] for p in r["per_seed"] if p.get("control_value") is not None]
        margins = [sign * (v - r["threshold"]) for v in vals]
        cmargins = [sign * (v - r["threshold"]) for v in ctrl]
        scale = max([abs(m) for m in margins + cmargins] + [1e-12])
        ax.scatter([m / scale for m in margins], [i] * len(margins), s=18, color="C0", zorder=3)
        ax.scatter([m / scale for m in cmargins], [i] * len(cmargins), s=22, marker="x", color="C3", zorder=3)
    ax.axvline(0, color="k", lw=1)
    ax.set_yticks(range(len(rows)), [f"ch{r['chapter']} {r['id']}" for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-1.1, 1.1)
    ax.set_xlabel("margin to threshold, scaled per claim (> 0: holds)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


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
    # a "|" in the code would end the table cell: escaped, as GitHub-flavoured tables expect
    rows += [(f"chapter {c['chapter']}, costliest cell {cell['cell']} ({cell['share']:.0%}): "
              f"`{cell['code'][:60].replace('|', chr(92) + '|')}` (s)",
              cell["seconds"], "") for c in r["chapters"] for cell in c.get("top_cells", [])[:2]]
    rows += [(f"chapter {c['chapter']} at smoke scale (seconds)", c["seconds"], f"<= {t.get('smoke_seconds', 30.0)}")
             for c in r.get("smoke", [])]
    rows += [(f"peak memory, chapter {c['chapter']} at smoke scale (MiB)", c["peak_rss_mib"], "")
             for c in r.get("smoke", []) if c.get("peak_rss_mib")]
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
    sw = r.get("sweep")
    if sw:
        if "sequential_1thread_runs_per_hour" in sw:
            rows.append((f"sweep at smoke scale, {sw['runs']} runs in turn, one process, 1 thread (runs per hour)",
                         sw["sequential_1thread_runs_per_hour"], ""))
        rows += [(f"sweep at smoke scale, {sw['runs']} runs in turn, one process, 2 threads (runs per hour)",
                  sw["sequential_runs_per_hour"], ""),
                 (f"sweep at smoke scale, Dask LocalCluster {sw['ideal_speedup']} workers x 1 thread (runs per hour)",
                  sw["sweep_runs_per_hour"], ""),
                 ("sweep: speed-up over the one-thread serial run, as a share of the ideal", sw["efficiency"],
                  f">= {t.get('sweep_efficiency', 0.9)}")]
        if "two_at_once_vs_alone" in sw:
            rows += [("two chapters at once (1 thread each): time of a run / the same run alone on 2 threads",
                      sw["two_at_once_vs_alone"], "<= 2.5"),
                     ("two chapters at once (1 thread each): time of a run / the same run alone on 1 thread",
                      sw["two_at_once_vs_alone_1thread"], "")]
    for row in r.get("probes", {}).get("rows", []):
        rows.append((f"probe, {row['name']}: before / after (s)", row["before_seconds"], ""))
        rows.append((f"probe, {row['name']}: after (s); |bits difference| {row.get('max_abs_bits_diff', float('nan')):.3f}",
                     row["after_seconds"], f"<= {row['before_seconds'] / 5:.3g} (5x)"))
    for lever in r.get("levers", []):
        name = lever.get("name") or f"{lever['lever']}, {lever.get('model', '')}"
        rows.append((f"lever: {name} ({'kept' if lever.get('kept') else 'not kept'}; step time off / on)",
                     lever.get("ratio"), "> 1"))
    lines = [f"Machine: {m['cpus']} CPUs, {m['threads']} torch threads, Python {m['python']}, torch {m['torch']}"
             + (" (**tiny run**: sizes too small to mean anything)" if r.get("tiny") else ""), "",
             "| measure | value | target |", "| --- | --- | --- |"]
    lines += [f"| {name} | {'' if v is None else f'{v:,.3f}'} | {target} |" for name, v, target in rows]
    return "\n".join(lines)


def _fill_scoreboard(app, docname: str, source: list[str]) -> None:
    if MARKER in source[0]:
        notebooks = sorted((Path(app.srcdir) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        robustness = read_robustness(Path(app.srcdir) / "results" / "robustness.json")
        source[0] = source[0].replace(MARKER, scoreboard_markdown(notebooks, robustness))
    if ROBUST_MARKER in source[0]:
        robustness = read_robustness(Path(app.srcdir) / "results" / "robustness.json")
        figure = None
        if robustness is not None:
            png = Path(app.srcdir) / "book" / "_generated" / "robustness.png"
            figure = "_generated/robustness.png" if robustness_figure(robustness, png) else None
        chapters = sorted(p.name[:2] for p in (Path(app.srcdir) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        source[0] = source[0].replace(ROBUST_MARKER, robustness_markdown(robustness, figure, chapters))
    if UNCONFIRMED_MARKER in source[0]:
        notebooks = sorted((Path(app.srcdir) / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        robustness = read_robustness(Path(app.srcdir) / "results" / "robustness.json")
        source[0] = source[0].replace(UNCONFIRMED_MARKER, unconfirmed_markdown(scoreboard_rows(notebooks, robustness)))
    if PERF_MARKER in source[0]:
        source[0] = source[0].replace(PERF_MARKER, performance_markdown(Path(app.srcdir) / "bench" / "results.json"))


def _always_outdated(app, env, added, changed, removed):
    # the scoreboard depends on every chapter's notebook: rebuild it on every build
    return [d for d in ("book/scoreboard", "book/performance", "book/robustness", "book/intro") if d in env.found_docs]


def _confirmation_directive():
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class ConfirmationSeeds(SphinxDirective):
        """``{confirmation-seeds} NN``: chapter NN's rows of ``results/robustness.json`` (see the module doc)."""

        required_arguments = 1

        def run(self):
            chapter = self.arguments[0]
            if not (len(chapter) == 2 and chapter.isdigit()):
                raise self.error(f"confirmation-seeds: the argument is a chapter number like 01, got {chapter!r}")
            srcdir = Path(self.env.srcdir)
            path = srcdir / "results" / "robustness.json"
            self.env.note_dependency(str(path))  # the page is rebuilt when the sweep's summary changes
            nb = srcdir / f"{self.env.docname}.ipynb"
            record = read_claims(nb) if nb.exists() else None
            text = confirmation_markdown(read_robustness(path), chapter, record)
            box = nodes.container(classes=["confirmation-seeds"])
            self.state.nested_parse(StringList(text.splitlines(), source=str(path)), self.content_offset, box)
            return [box]

    return ConfirmationSeeds


def setup(app):
    app.add_directive("confirmation-seeds", _confirmation_directive())
    app.connect("config-inited", _set_mathjax)
    app.connect("source-read", _fill_scoreboard)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
