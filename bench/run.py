"""Benchmarks of the book: time-to-claim, the training step, evaluation, data; speed and memory.

    python bench/run.py                   # everything at full size (chapters re-executed at book scale)
    python bench/run.py --from-notebooks  # chapter times from the stored notebooks' papermill metadata
    python bench/run.py --tiny            # every code path at a tiny size (the tests use it)

Writes ``bench/results.json`` (or ``--out``) and a bar chart of chapter times, and prints a table.
Nothing here is asserted: the targets are in issue #9 and in the book's Performance page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {
    "book_minutes": 20.0, "step_speed_ratio": 1.0, "sweep_efficiency": 0.9, "smoke_seconds": 30.0, "mig_seconds": 10.0, "exact_decomposition_seconds": 10.0,
    "dsprites_all_seconds": 5.0, "dsprites_all_mib": 512.0,
}


def _in_child(code: str) -> dict:
    """Run ``code`` (which prints one JSON line) in a fresh interpreter; add its peak RSS in MiB."""
    wrapper = ("import json, resource, subprocess, sys\n"
               "p = subprocess.run([sys.executable, '-c', sys.argv[1]], capture_output=True, text=True, check=True)\n"
               "out = json.loads(p.stdout.strip().splitlines()[-1])\n"
               "out['peak_rss_mib'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
               "print(json.dumps(out))\n")
    proc = subprocess.run([sys.executable, "-c", wrapper, code], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> dict:
    """The machine and the torch threads the benchmark's sections run with (``$IBCORE_THREADS``, default 2)."""
    import torch

    torch.set_num_threads(int(os.environ.get("IBCORE_THREADS", 2)))
    return {"python": platform.python_version(), "torch": torch.__version__, "cpus": os.cpu_count(),
            "threads": torch.get_num_threads(), "processor": platform.processor() or platform.machine()}


def chapter_times_from_junit(path: Path) -> list[dict]:
    """Book-scale seconds of every chapter as the test command's nbval re-executed it (the sum of its cells'
    times in the JUnit XML that ``make test`` writes to ``_build/test-junit.xml``): a measurement on the
    machine that ran the tests, with the thread count of the test command."""
    import xml.etree.ElementTree as ET

    from ibcore.notebooks import toc_chapters

    chapters = toc_chapters()
    seconds: dict[str, float] = {}
    cells: dict[str, list[tuple[float, int]]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        where, name = case.get("file") or case.get("classname", ""), case.get("name", "")
        match = next((c.name for c in chapters if c.name in where and name.startswith("Cell ")), None)
        if match:
            seconds[match] = seconds.get(match, 0.0) + float(case.get("time", 0))
            cells.setdefault(match, []).append((float(case.get("time", 0)), int(name.split()[1])))
    return [{"chapter": c.name, "scale": "book", "seconds": seconds.get(c.name), "peak_rss_mib": None,
             "source": "nbval in the test command", "top_cells": _top_cells(c, cells.get(c.name, []))}
            for c in chapters]


def _top_cells(chapter: Path, timed: list[tuple[float, int]], k: int = 3) -> list[dict]:
    """The chapter's ``k`` most expensive cells (nbval's "Cell N" is the N-th code cell): the profile at the
    level a reader edits, with each cell's first line of code."""
    import jupytext

    code = [c for c in jupytext.read(chapter.with_suffix(".py")).cells if c.cell_type == "code"]
    total = sum(t for t, _ in timed) or 1.0
    out = []
    for t, i in sorted(timed, reverse=True)[:k]:
        lines = [ln for ln in (code[i].source.splitlines() if i < len(code) else []) if ln.strip() and not ln.startswith("#")]
        out.append({"cell": i, "seconds": t, "share": t / total, "code": (lines[0] if lines else "")[:90]})
    return out


def chapter_times(from_notebooks: bool, tiny: bool, junit: Path | None = None) -> list[dict]:
    """Wall-clock seconds (and peak RSS when re-executed) of every chapter."""
    from ibcore.notebooks import toc_chapters

    if junit is not None:
        return chapter_times_from_junit(junit)
    rows = []
    for chapter in toc_chapters():
        nb = chapter.with_suffix(".ipynb")
        if from_notebooks:
            meta = json.loads(nb.read_text())["metadata"].get("papermill", {})
            rows.append({"chapter": chapter.name, "scale": "book", "seconds": meta.get("duration"),
                         "peak_rss_mib": None, "source": "stored notebook metadata"})
            continue
        scale = "smoke" if tiny else "book"
        with tempfile.TemporaryDirectory() as tmp:
            code = ("import json, time, papermill as pm\n"
                    f"t = time.perf_counter()\n"
                    f"pm.execute_notebook({str(nb)!r}, {tmp + '/out.ipynb'!r}, parameters={{'scale': {scale!r}}},"
                    f" kernel_name='python3', progress_bar=False, cwd={str(nb.parent)!r})\n"
                    "print(json.dumps({'seconds': time.perf_counter() - t}))\n")
            out = _in_child(code)
        rows.append({"chapter": chapter.name, "scale": scale, "seconds": out["seconds"],
                     "peak_rss_mib": out["peak_rss_mib"], "source": "papermill run"})
    return rows


def training_step(tiny: bool) -> dict:
    """ibcore's fit() against a minimal loop of the same model and loss, alternated A B A B."""
    import torch

    from ibcore import seed_everything
    from ibcore.data import DSprites
    from ibcore.losses import beta_vae_loss
    from ibcore.models import VAE, VAEConfig
    from ibcore.train import fit

    seed_everything(0)
    res, steps, rounds = (32, 3, 2) if tiny else (64, 25, 6)
    ds = DSprites(res)
    gen = torch.Generator().manual_seed(0)
    batch = lambda step: ds.images(ds.sample_indices(64, gen))  # noqa: E731

    def ibcore_run() -> float:
        model = VAE(VAEConfig(resolution=res))
        t = time.perf_counter()
        fit(model, lambda m, x, s: _loss(m, x), batch, steps, lr=1e-3, progress=False, log_every=10**9)
        return (time.perf_counter() - t) / steps

    def _loss(model, x):
        logits, mu, logvar, _ = model(x)
        return beta_vae_loss(logits, x, mu, logvar, 4.0)

    def minimal_run() -> float:
        model = VAE(VAEConfig(resolution=res))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        t = time.perf_counter()
        for step in range(1, steps + 1):
            x = batch(step)
            logits, mu, logvar, _ = model(x)
            rec = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / len(x)
            kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(1).mean()
            loss = rec + 4.0 * kl
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return (time.perf_counter() - t) / steps

    ibcore_run(), minimal_run()  # warm-up
    a, b = [], []
    for _ in range(rounds):
        a.append(ibcore_run())
        b.append(minimal_run())
    return {"resolution": res, "batch": 64, "steps_per_trial": steps, "trials": rounds,
            "ibcore_ms": 1000 * statistics.median(a), "minimal_ms": 1000 * statistics.median(b),
            "speed_ratio": statistics.median(b) / statistics.median(a)}


def levers(tiny: bool) -> list[dict]:
    """Each CPU lever tried for the conv models' training step (issue 17): step time without and with it,
    alternated A B A B, median; ``ratio`` = off / on (> 1: the lever speeds the step up), ``kept`` as in ibcore.

    channels_last: conv weights and inputs in channels-last memory order (``ibcore.models.CHANNELS_LAST``).
    """
    import torch

    from ibcore import models
    from ibcore.losses import beta_vae_loss

    steps, rounds = (2, 1) if tiny else (20, 5)
    g = torch.Generator().manual_seed(0)
    x_vae = (torch.rand(64, 1, 32, 32, generator=g) > 0.8).float()
    x_cls, y_cls = torch.rand(128, 1, 32, 32, generator=g), torch.randint(10, (128,), generator=g)

    def vae_step(model, opt):
        logits, mu, logvar, _ = model(x_vae)
        return beta_vae_loss(logits, x_vae, mu, logvar, 4.0)["loss"]

    def cls_step(model, opt):
        return torch.nn.functional.cross_entropy(model(x_cls), y_cls)

    cases = {"VAE (burgess, 32 px, batch 64)": (lambda: models.VAE(models.VAEConfig(resolution=32)), vae_step),
             "ConvNet (16-32-32-64, 32 px, batch 128)":
                 (lambda: models.ConvNet(models.ConvNetConfig(channels=(16, 32, 32, 64), canvas=32)), cls_step)}

    def timed(build, loss, flag: bool) -> float:
        models.CHANNELS_LAST = flag
        try:
            model = build()
            opt = torch.optim.Adam(model.parameters(), 1e-3)
            for i in range(steps + 2):
                if i == 2:
                    t = time.perf_counter()
                opt.zero_grad(set_to_none=True)
                loss(model, opt).backward()
                opt.step()
            return (time.perf_counter() - t) / steps
        finally:
            models.CHANNELS_LAST = True

    rows = []
    for name, (build, loss) in cases.items():
        off, on = [], []
        for _ in range(rounds):
            off.append(timed(build, loss, False))
            on.append(timed(build, loss, True))
        rows.append({"lever": "channels_last", "model": name, "threads": torch.get_num_threads(),
                     "off_ms": 1000 * statistics.median(off), "on_ms": 1000 * statistics.median(on),
                     "ratio": statistics.median(off) / statistics.median(on), "kept": True})
    return rows


def evaluation(tiny: bool) -> dict:
    """MIG, DCI and the exact KL decomposition on n codes: seconds each."""
    import torch

    from ibcore.info import kl_decomposition
    from ibcore.metrics import dci, mig

    n = 500 if tiny else 10_000
    g = torch.Generator().manual_seed(0)
    factors = torch.stack([torch.randint(s, (n,), generator=g) for s in (3, 6, 40, 32, 32)], 1).numpy()
    codes = torch.randn(n, 10, generator=g)
    codes[:, :5] += torch.from_numpy(factors).float() / 10
    t = time.perf_counter()
    mig(codes.numpy(), factors)
    t_mig = time.perf_counter() - t
    t = time.perf_counter()
    half = n // 2
    dci(codes[:half].numpy(), factors[:half], codes[half:].numpy(), factors[half:])
    t_dci = time.perf_counter() - t
    r = kl_decomposition(codes, torch.full((n, 10), -2.0), "exact", generator=g)
    return {"codes": n, "mig_seconds": t_mig, "dci_seconds": t_dci, "exact_decomposition_seconds": r["seconds"]}


def data(tiny: bool) -> dict:
    """Procedural dSprites: all images bit-packed (seconds, peak RSS of a fresh process) and a batch of 256."""
    res = 32 if tiny else 64
    code = ("import json, time, torch\n"
            "torch.set_num_threads(2)\n"
            "from ibcore.data import DSprites\n"
            f"ds = DSprites({res})\n"
            "t = time.perf_counter(); packed = ds.render_all(); t_all = time.perf_counter() - t\n"
            "g = torch.Generator().manual_seed(0); idx = [ds.sample_indices(256, g) for _ in range(200)]\n"
            "ds.images(idx[0]); t = time.perf_counter()\n"
            "for i in idx: ds.images(i)\n"
            "t_batch = (time.perf_counter() - t) / len(idx)\n"
            "print(json.dumps({'resolution': %d, 'all_seconds': t_all, 'packed_mib': packed.nbytes / 2**20,"
            " 'batch256_ms': 1000 * t_batch}))\n" % res)
    baseline = _in_child("import json, torch, numpy; print(json.dumps({}))")["peak_rss_mib"]
    out = _in_child(code)
    out["baseline_rss_mib"] = baseline  # python + torch + numpy imported, nothing rendered
    out["render_rss_mib"] = out["peak_rss_mib"] - baseline
    return out


def sweep_throughput(tiny: bool) -> dict:
    """Runs per hour at smoke scale: ``ibcore.sweep`` on a LocalCluster (2 workers x 1 thread) against one
    process running the same chapters in turn, with one thread (the serial baseline: the ideal speed-up of
    2 workers on 2 cores is 2) and with 2 threads (what running the chapters one after another on both cores
    gives; the sweep's gain over it is what a user sees)."""
    from ibcore import sweep

    tasks = [("01", 1), ("06", 1)] if tiny else [(c, s) for c in ("01", "06") for s in (1, 2)]
    cores = sweep.machine_cores()
    workers = min(2, cores)
    seconds, alone = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for threads in (1, workers):
            t = time.perf_counter()
            for ch, s in tasks:
                run = sweep.run_one(ch, s, "smoke", threads=threads, runs_dir=f"{tmp}/seq{threads}")
                if run["status"] != "ok":
                    raise RuntimeError(f"chapter {ch} seed {s} failed: {run['error']}")
                alone[(threads, ch, s)] = run["seconds"]
            seconds[threads] = time.perf_counter() - t
        t = time.perf_counter()
        out = sweep.run_sweep(sorted({c for c, _ in tasks}), sorted({s for _, s in tasks}), "smoke",
                              workers=workers, threads=1, results=Path(tmp), progress=False)
        parallel = time.perf_counter() - t
        together = {(ch, s): json.loads(sweep.result_path(Path(tmp), "smoke", ch, s).read_text())["seconds"]
                    for ch, s in tasks}
    if out["failed"]:
        raise RuntimeError(f"sweep runs failed: {out['failed']}")
    serial, both = seconds[1], seconds[workers]
    # oversubscription (issue 17): a run beside another (the sweep's 2 workers, 1 thread each) against the same
    # run alone, with 1 thread and with all the cores' threads
    slow_1 = statistics.median(together[k] / alone[(1, *k)] for k in tasks)
    slow_all = statistics.median(together[k] / alone[(workers, *k)] for k in tasks)
    return {"runs": len(tasks), "cores": cores, "workers": workers,
            "sequential_1thread_seconds": serial, "sequential_seconds": both, "sweep_seconds": parallel,
            "sequential_runs_per_hour": 3600 * len(tasks) / both,
            "sequential_1thread_runs_per_hour": 3600 * len(tasks) / serial,
            "sweep_runs_per_hour": 3600 * len(tasks) / parallel,
            "speedup": serial / parallel, "ideal_speedup": workers, "efficiency": serial / parallel / workers,
            "speedup_over_2threads": both / parallel,
            "two_at_once_vs_alone_1thread": slow_1, "two_at_once_vs_alone": slow_all,
            "note": "speed-up and efficiency against the one-thread serial run (ideal: one per worker); "
                    "sweep time includes starting the LocalCluster"}


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results["chapters"] if r["seconds"] is not None]
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.45 * max(1, len(rows))))
    ax.barh([r["chapter"] for r in rows], [r["seconds"] / 60 for r in rows], color="C0")
    ax.set_xlabel(f"minutes at {rows[0]['scale'] if rows else 'book'} scale (2 CPU cores)")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-notebooks", action="store_true", help="chapter times from stored notebooks")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: checks the code paths, times nothing useful")
    parser.add_argument("--from-junit", type=Path, help="chapter times from the JUnit XML of `make test` "
                        "(_build/test-junit.xml): nbval's book-scale re-execution")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--only", help="comma-separated sections to rerun (chapters, smoke, training_step, "
                        "evaluation, levers, data, sweep), keeping the others' last results")
    args = parser.parse_args(argv)
    if args.only:
        return run_sections(args.only.split(","), args.tiny, args.from_notebooks, args.out, args.from_junit)
    results = {
        "machine": machine(),  # also sets the torch threads of every section below
        "tiny": args.tiny, "targets": TARGETS,
        "chapters": chapter_times(args.from_notebooks, args.tiny, args.from_junit),
        "training_step": training_step(args.tiny),
        "evaluation": evaluation(args.tiny),
        "levers": levers(args.tiny),
        "data": data(args.tiny),
        "sweep": sweep_throughput(args.tiny),
        "papers": {"steps_per_model": 300_000, "batch": 64, "source": "Locatello et al. 2019"},
    }
    total = sum(r["seconds"] or 0 for r in results["chapters"])
    results["book_minutes"] = total / 60
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    plot(results, args.out.with_name(args.out.stem + "_chapters.png"))
    print(f"{'measure':<42} {'value':>10} {'target':>10}")
    lines = [("whole book (minutes)", results["book_minutes"], f"<= {TARGETS['book_minutes']}")]
    lines += [(f"  {r['chapter']} (s)", r["seconds"] or float("nan"), "") for r in results["chapters"]]
    ts = results["training_step"]
    lines += [("training step speed ratio (minimal / ibcore)", ts["speed_ratio"], f">= {TARGETS['step_speed_ratio']}"),
              ("  ibcore step (ms)", ts["ibcore_ms"], ""), ("  minimal step (ms)", ts["minimal_ms"], "")]
    ev, da = results["evaluation"], results["data"]
    lines += [("MIG on %d codes (s)" % ev["codes"], ev["mig_seconds"], f"<= {TARGETS['mig_seconds']}"),
              ("DCI on %d codes (s)" % ev["codes"], ev["dci_seconds"], ""),
              ("exact decomposition (s)", ev["exact_decomposition_seconds"], f"<= {TARGETS['exact_decomposition_seconds']}"),
              ("dSprites, all images (s)", da["all_seconds"], f"<= {TARGETS['dsprites_all_seconds']}"),
              ("dSprites, all images: peak RSS above baseline (MiB)", da["render_rss_mib"], f"<= {TARGETS['dsprites_all_mib']}"),
              ("dSprites, batch of 256 (ms)", da["batch256_ms"], "")]
    for name, value, target in lines:
        print(f"{name:<52} {value:>10.3f} {target:>10}")
    print(f"wrote {args.out}")
    return 0


def probe_rows(path: Path = ROOT / "bench" / "probes.json") -> dict:
    """The probe benchmark's before / after row (``bench/probes.py`` writes ``probes.json``): CPU seconds of the
    old torch L-BFGS probe and of ``ibcore.info.linear_probe`` at the same C on the same features and targets."""
    p = json.loads(path.read_text())
    before = next(r for r in p["rows"] if r["method"].startswith("before: torch"))
    after = next(r for r in p["rows"] if r["method"].startswith("after: linear_probe, C=0.01"))
    return {"source": "bench/probes.py", "threads": p["threads"],
            "rows": [{"name": "linear probes, every target of 6 representations, C = 0.01 (CPU s)",
                      "before_seconds": before["cpu_seconds"], "after_seconds": after["cpu_seconds"],
                      "max_abs_bits_diff": after["max_abs_diff_bits_vs_before_torch"]}]}


def run_sections(sections: list[str], tiny: bool, from_notebooks: bool, out: Path, junit: Path | None = None) -> int:
    """Rerun some sections of the benchmark and merge them into the stored results."""
    funcs = {"chapters": lambda: chapter_times(from_notebooks, tiny, junit),
             "smoke": lambda: chapter_times(False, True),  # every chapter at smoke scale (its 30 s target)
             "training_step": lambda: training_step(tiny), "probes": probe_rows,
             "evaluation": lambda: evaluation(tiny), "levers": lambda: levers(tiny), "data": lambda: data(tiny), "sweep": lambda: sweep_throughput(tiny)}
    unknown = [s for s in sections if s not in funcs]
    if unknown:
        raise SystemExit(f"--only: unknown sections {unknown}; choose from {', '.join(funcs)}")
    results = json.loads(out.read_text()) if out.exists() else {}
    results["targets"] = TARGETS  # the current targets, whatever an older file held
    results["machine"] = machine()
    for s in sections:
        results[s] = funcs[s]()
        print(s, json.dumps(results[s], indent=1)[:2000])
    if "chapters" in sections:
        results["book_minutes"] = sum(r["seconds"] or 0 for r in results["chapters"]) / 60
        plot(results, out.with_name(out.stem + "_chapters.png"))
    if sections != ["smoke"]:
        results["tiny"] = tiny
    out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
