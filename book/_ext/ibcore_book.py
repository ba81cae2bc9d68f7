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


def _error_line(error) -> str:
    """A failed run's error as one short line of inline code: its last non-empty line (the exception, for a
    traceback), ANSI colours stripped, backticks and table bars removed (they would end the code span)."""
    import re

    lines = [ln.strip() for ln in re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", str(error or "")).splitlines() if ln.strip()]
    line = (lines[-1] if lines else "no error recorded").replace("`", "'").replace("|", "/")
    return "`" + (line[:157] + "..." if len(line) > 160 else line) + "`"


def _seed_verdicts(robust: dict) -> str:
    """A reported claim's verdicts over the seeds, most frequent first: "contradicts 3/5, inconclusive 2/5"."""
    vc = robust.get("verdict_counts") or {}
    return ", ".join(f"{k} {n}/{robust['n']}" for k, n in sorted(vc.items(), key=lambda kv: (-kv[1], kv[0])))


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
        seeds = "" if robust is None else f"{robust['evidence']}/{robust['n']}"
    else:
        v = claim.get("verdict") or "reported"
        if robust is not None and robust.get("verdict") != "incomplete":
            v = robust["verdict"]
        # every verdict's count: "inconclusive" over the seeds means no verdict reached the rule's share
        seeds = "" if robust is None else _seed_verdicts(robust)
    if robust is not None and robust["n"] < robust["seeds_asked"]:
        seeds += f" ({robust['n']} of {robust['seeds_asked']} seeds run)"
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


# (title, verdicts) of the list of claims the book does not confirm, in the order shown
UNCONFIRMED_GROUPS = (("Contradicted", ("contradicts",)), ("Fragile over the confirmation seeds", ("fragile",)),
                      ("Failing (an asserted claim that is not evidence on seed 0)",
                       ("fails", "fails (control holds)", "no control")),
                      ("Inconclusive", ("inconclusive",)))
UNCONFIRMED = {v for _, verdicts in UNCONFIRMED_GROUPS for v in verdicts}


def unconfirmed_markdown(rows: list[dict]) -> str:
    """The claims whose verdict is not ``holds`` / ``supports``, in groups (contradicted, fragile, failing,
    inconclusive), each with its chapter, slide, id and the seeds' verdicts, or "seed 0 only" where the
    confirmation seeds have not (all) run; "None." when there are none."""
    bad = [r for r in rows if not r.get("missing") and r["verdict"] in UNCONFIRMED]
    if not bad:
        return "None."

    def item(r):
        seeds = r["seeds"]
        where = (f"seeds 1-5: {seeds}" if seeds and "seeds run)" not in seeds else
                 f"seed 0 only, seeds 1-5: {seeds}" if seeds else "seed 0 only")
        verdict = "" if r["verdict"] in ("contradicts", "fragile", "inconclusive") else f"**{r['verdict']}**; "
        return (f"- chapter [{r['chapter']}](../notebooks/{r['nb'].stem}.ipynb), slide {r['claim'].get('slide', '')}, "
                f"claim {_cell(r['claim']['id'])}: {_cell(r['claim']['claim'])} ({verdict}{where})")

    out = []
    for title, group in UNCONFIRMED_GROUPS:
        members = sorted((r for r in bad if r["verdict"] in group), key=lambda r: r["chapter"])  # stable
        if members:
            out += [f"**{title}** ({len(members)}):", ""] + [item(r) for r in members] + [""]
    return "\n".join(out).rstrip()


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
        unit = f" {_cell(c['unit'])}" if c.get("unit") else ""
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
    all_failed = sorted({str(f["chapter"]) for f in robustness["failed_runs"]} - swept)
    missing = [c for c in (chapters or []) if c not in swept and c not in all_failed]
    if all_failed:
        out[-1:-1] = [f"**Every run failed:** chapter{'s' if len(all_failed) > 1 else ''} {', '.join(all_failed)} "
                      "(see the failed runs below): their verdicts rest on seed 0 alone.", ""]
    if missing:
        out[-1:-1] = [f"**Not swept yet:** chapter{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
                      "their verdicts rest on the development seed 0 alone."]
    if figure:
        out += [f"```{{figure}} {figure}", ":name: fig-robustness", ":width: 100%", "",
                "Every confirmation seed of every claim, as its distance to the threshold in the direction the "
                "claim predicts, scaled per claim (right of the line: the claim holds). Dots: the claim; "
                "crosses: its control, which must fall left of the line.", "```", ""]
    out += ["| ch. | claim | held | control held | evidence (asserted) or verdicts (reported) | median [min, max] | verdict |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in robustness["claims"]:
        v = r["value"]
        spread = "" if v["median"] is None else f"{_num(v['median'])} [{_num(v['min'])}, {_num(v['max'])}] {_cell(r['unit'])}"
        ctrl = f"{r['control_held']}/{r['control_n']}" if r.get("control_n") else "-"
        held = f"{r['held']}/{r['n']}" if r.get("op") else "-"
        out.append(f"| {r['chapter']} | {r['id']}: {_cell(r['claim'])} | {held} | {ctrl} | "
                   f"{(str(r['evidence']) + '/' + str(r['n'])) if r['kind'] == 'asserted' else _seed_verdicts(r)} | {spread} | "
                   f"**{r['verdict']}** |")
    for f in robustness["failed_runs"]:
        out.append(f"\nFailed run: chapter {f['chapter']}, seed {f['seed']}: {_error_line(f.get('error'))}")
    return "\n".join(out)


def confirmation_markdown(robustness: dict | None, chapter: str, record: dict | None = None) -> str:
    """A chapter's own rows of the confirmation sweep, for the ``{confirmation-seeds}`` directive.

    ``record``: the chapter's seed-0 claims record (its stored notebook's), to set each claim's seed-0
    verdict beside the seeds'. Names the claims the seeds do not confirm: fragile asserted claims, asserted
    claims that are not evidence on seed 0, reported claims whose verdict over the seeds is not seed 0's,
    claims whose sweep is incomplete, claims of seed 0 the sweep has no row for (and the reverse), and the
    chapter's failed runs. "Every asserted claim is robust" is said only when every asserted claim of seed 0
    has a complete row, robust, and is evidence on seed 0.
    """
    rows = [r for r in (robustness or {}).get("claims", []) if str(r["chapter"]) == chapter]
    failed = [f for f in (robustness or {}).get("failed_runs", []) if str(f["chapter"]) == chapter]
    failed_text = [f"**Failed run{'s' if len(failed) > 1 else ''}:** "
                   + "; ".join(f"seed {f['seed']}: {_error_line(f.get('error'))}" for f in failed)
                   + " (a failed run counts for no seed; the sweep reruns it)."] if failed else []
    if not rows:
        return "\n\n".join(["*No confirmation run of this chapter is stored yet* (`make sweep`): every verdict "
                             "above rests on the development seed 0 alone."] + failed_text)
    seed0 = {c["id"]: c for c in (record or {}).get("claims", [])}
    seeds = ", ".join(map(str, robustness["seeds"]))
    out = [f"The same chapter's code, unchanged, on the confirmation seeds {seeds} at {robustness['scale']} scale "
           "(`results/robustness.json`, written by `python -m ibcore.sweep summarize`).",
           "",
           f"**The rule:** {robustness['rule']}. *Held*: the value is on the side the slide predicts; "
           "*evidence*: it held and its control did not. Over the seeds, a reported claim is *inconclusive* "
           "when no single verdict reached that share (its seeds' verdicts are listed).",
           ""]
    if record is not None and record.get("scale") not in (None, robustness["scale"]):
        out += [f"*Seed 0 ran at {record['scale']} scale, the seeds at {robustness['scale']}*: the two verdicts "
                "are not comparable.", ""]
    # four columns: eight did not fit the text column (the claim's words were squeezed to one per line)
    out += ["| claim (what the slide predicts) | on the seeds | median [min, max] | verdict: seed 0 → seeds |",
            "| --- | --- | --- | --- |"]
    fragile, changed, incomplete, seed0_fails = [], [], [], []
    for r in rows:
        v = r["value"]
        unit = _cell(r.get("unit") or "")
        spread = "" if v["median"] is None else f"{_num(v['median'])} [{_num(v['min'])}, {_num(v['max'])}] {unit}"
        predicted = f"{r['op']} {_num(r['threshold'])}" if r.get("op") and r.get("threshold") is not None else ""
        held = f"{r['held']}/{r['n']}" if r.get("op") else "-"
        ctrl = f"{r['control_held']}/{r['control_n']}" if r.get("control_n") else "-"
        c0 = seed0.get(r["id"])
        if r["kind"] == "asserted":
            evid = f"{r['evidence']}/{r['n']}"
            v0 = "" if c0 is None else ("evidence" if c0.get("evidence") else (c0.get("verdict") or "fails"))
        else:
            evid = _seed_verdicts(r)
            v0 = "" if c0 is None else (c0.get("verdict") or "")
        if c0 is None and record is not None:
            v0 = "(not on seed 0)"
        n_note = f" ({r['n']} of {r['seeds_asked']} seeds run)" if r["n"] < r["seeds_asked"] else ""
        tally = (f"held {held}, control held {ctrl}, evidence {evid}" if r["kind"] == "asserted" else
                 (f"held {held}; " if r.get("op") else "") + evid)
        out.append(f"| {_cell(r['id'])} ({r['kind']}): {_cell(r['claim'])}"
                   + (f" (predicted: {predicted})" if predicted else "") + f" | {tally} | {spread} | "
                   f"{v0 or '-'} → **{r['verdict']}**{n_note} |")
        if r["verdict"] == "incomplete":
            incomplete.append(_cell(r["id"]))
        elif r["kind"] == "asserted" and r["verdict"] != "robust":
            fragile.append(_cell(r["id"]))
        elif r["kind"] != "asserted" and v0 and c0 is not None and r["verdict"] != v0:
            changed.append(f"{_cell(r['id'])} ({v0} on seed 0, {r['verdict']} over the seeds)")
        if r["kind"] == "asserted" and c0 is not None and not c0.get("evidence"):
            seed0_fails.append(f"{_cell(r['id'])} ({v0} on seed 0)")
    table_end = len(out)  # what follows are sentences, one paragraph each
    swept = {r["id"] for r in rows}
    not_swept = [_cell(i) for i, c in seed0.items() if i not in swept]
    not_on_seed0 = [_cell(r["id"]) for r in rows if record is not None and r["id"] not in seed0]
    asserted0 = [i for i, c in seed0.items() if c.get("kind") == "asserted"] if record is not None else \
        [r["id"] for r in rows if r["kind"] == "asserted"]
    all_robust = (asserted0 and not fragile and not seed0_fails
                  and all(any(r["id"] == i and r["verdict"] == "robust" for r in rows) for i in asserted0))
    s = lambda xs: "s" if len(xs) > 1 else ""  # noqa: E731
    if fragile:
        out.append(f"**Fragile:** asserted claim{s(fragile)} {', '.join(fragile)} held with "
                   "{} control failing on fewer seeds than the rule asks: seed 0's verdict is not confirmed.".format(
                       "their" if len(fragile) > 1 else "its"))
    if seed0_fails:
        out.append(f"**Not evidence on seed 0:** asserted claim{s(seed0_fails)} {'; '.join(seed0_fails)}: "
                   "whatever the seeds say, the chapter's own run does not support it.")
    if all_robust:
        out.append("Every asserted claim of this chapter is **robust**: it held, with its control failing, on "
                   "seed 0 and on as many confirmation seeds as the rule asks.")
    if changed:
        out.append(f"**Not kept by the seeds:** reported claim{s(changed)} {'; '.join(changed)}.")
    if incomplete:
        out.append(f"*Incomplete:* claim{s(incomplete)} {', '.join(incomplete)} "
                   f"{'lack' if len(incomplete) > 1 else 'lacks'} confirmation runs of the current code on some "
                   "seeds: no verdict over the seeds yet.")
    if not_swept:
        out.append(f"*Not in the sweep:* claim{s(not_swept)} {', '.join(not_swept)} of seed 0 "
                   f"{'have' if len(not_swept) > 1 else 'has'} no confirmation row: "
                   "{} verdict rests on seed 0 alone.".format("their" if len(not_swept) > 1 else "its"))
    if not_on_seed0:
        out.append(f"*Not on seed 0:* claim{s(not_on_seed0)} {', '.join(not_on_seed0)} of the sweep "
                   f"{'are' if len(not_on_seed0) > 1 else 'is'} not in this page's seed-0 record "
                   "(the stored notebook is older than the sweep's code: re-execute it).")
    return "\n\n".join(["\n".join(out[:table_end])] + out[table_end:] + failed_text)


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
    if any(m in source[0] for m in (MARKER, ROBUST_MARKER, UNCONFIRMED_MARKER)):
        _fill_claim_markers(Path(app.srcdir), source)
    if PERF_MARKER in source[0]:
        source[0] = source[0].replace(PERF_MARKER, performance_markdown(Path(app.srcdir) / "bench" / "results.json"))


def _fill_claim_markers(src: Path, source: list[str]) -> None:
    """The pages built from the chapters' records and the sweep's summary, read once per page."""
    notebooks = sorted((src / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    robustness = read_robustness(src / "results" / "robustness.json")
    if MARKER in source[0]:
        source[0] = source[0].replace(MARKER, scoreboard_markdown(notebooks, robustness))
    if ROBUST_MARKER in source[0]:
        figure = None
        if robustness is not None:
            png = src / "book" / "_generated" / "robustness.png"
            figure = "_generated/robustness.png" if robustness_figure(robustness, png) else None
        chapters = [p.name[:2] for p in notebooks]
        source[0] = source[0].replace(ROBUST_MARKER, robustness_markdown(robustness, figure, chapters))
    if UNCONFIRMED_MARKER in source[0]:
        source[0] = source[0].replace(UNCONFIRMED_MARKER, unconfirmed_markdown(scoreboard_rows(notebooks, robustness)))


def _always_outdated(app, env, added, changed, removed):
    # the scoreboard depends on every chapter's notebook: rebuild it on every build
    return [d for d in ("book/scoreboard", "book/performance", "book/robustness", "book/intro") if d in env.found_docs]


def _confirmation_directive():
    import re

    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class ConfirmationSeeds(SphinxDirective):
        """``{confirmation-seeds} NN``: chapter NN's rows of ``results/robustness.json`` (see the module doc)."""

        required_arguments = 1

        def run(self):
            chapter = self.arguments[0]
            page = Path(self.env.docname).name[:2]
            if not re.fullmatch(r"[0-9]{2}", chapter):
                raise self.error(f"confirmation-seeds: the argument is a chapter number like 01, got {chapter!r}")
            if re.fullmatch(r"[0-9]{2}", page) and chapter != page:
                # the seed-0 column is read from this page's notebook: another chapter's rows would mismatch it
                raise self.error(f"confirmation-seeds: chapter {chapter} on the page of chapter {page}")
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
