"""Seed sweeps of the chapters on Dask: the confirmation runs behind the Robustness page.

    python -m ibcore.sweep run --chapters 01,02 --seeds 1-5 --scale book            # LocalCluster
    python -m ibcore.sweep run --chapters all --seeds 1-5 --scheduler tcp://HOST:8786  # any Dask cluster
    python -m ibcore.sweep summarize --scale book --seeds 1-5                         # results/robustness.json
    python -m ibcore.sweep status --scale book                                        # what is done

Each (chapter, seed) is one Dask task: it executes the chapter's ``.py`` with papermill (in a child
process, so its peak memory can be measured and a crash cannot take the worker down) into
``runs/sweeps/<scale>/<chapter>/seed-<s>.ipynb`` (git-ignored) and returns the chapter's claims record
(``ibcore.claims``), wall time, peak memory, the source key and git commit, and package versions. The
client writes one small JSON per run, ``results/sweeps/<scale>/<chapter>/seed-<s>.json``, as each run
finishes, so an interrupted sweep loses only the runs in flight.

- **Resumable**: a run whose JSON says ``ok`` with the chapter's current source key is skipped. The source
  key hashes the chapter's ``.py`` and the library code it runs (the ``ibcore`` modules it imports, followed
  through the library, but not the tooling ``sweep``, ``notebooks``, ``rerun``; from ``params`` only its own
  sizes; comments and docstrings left out); a run made with other code does not count and is redone.
- **Fault-tolerant**: a run that fails (an error in the chapter, a killed worker) is recorded as ``failed``
  with its error's last line; the sweep goes on, and the next ``run`` retries it.
- **Threads**: a LocalCluster gets ``workers x threads <= cores`` (by default one torch thread per worker
  and as many workers as cores); each chapter sees its share through ``IBCORE_THREADS``.
- **Any cluster**: with ``--scheduler`` the tasks go to an existing Dask scheduler (dask-jobqueue on
  SLURM/PBS, dask-kubernetes, ``dask scheduler`` + ``dask worker`` by hand); every worker needs this
  repository at the same commit with ``ibcore`` installed. ``--device cuda`` passes ``device=cuda`` to the
  chapters for GPU workers.

``summarize`` turns the runs into ``results/robustness.json``: per claim, over the confirmation seeds,
how often it held, how often its control held, how often it was evidence (held with its control failing),
the median value and its range, and the verdict: ``robust`` when evidence on at least 4 of 5 seeds (80 %),
``fragile`` otherwise (``incomplete`` while fewer seeds than asked have run); a reported claim gets the
verdict it had on at least 80 % of the seeds, else ``inconclusive``. Used by ``make sweep``, the
Robustness and Scoreboard pages, and issue 21's confirmation run.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results"
RUNS = ROOT / "runs" / "sweeps"
#: ibcore modules that do not change what a chapter computes (left out of the source key).
TOOLING = {"sweep.py", "notebooks.py", "rerun.py"}
#: Share of confirmation seeds on which a claim must be evidence to be called robust (4 of 5).
ROBUST_SHARE = 0.8


# -- what to run ------------------------------------------------------------------------------------
def parse_seeds(text: str) -> list[int]:
    """``"1-5"``, ``"0,3,7"`` or ``"1-3,9"`` -> sorted unique seeds; ``ValueError`` naming ``--seeds``."""
    seeds: set[int] = set()
    try:
        for part in str(text).split(","):
            part = part.strip()
            if "-" in part:
                lo, hi = (int(p) for p in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                seeds.update(range(lo, hi + 1))
            elif part:
                seeds.add(int(part))
    except ValueError:
        raise ValueError(f"--seeds must look like '1-5' or '0,3,7' (non-negative integers), got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise ValueError(f"--seeds must name at least one non-negative seed, got {text!r}")
    return sorted(seeds)


def chapters(root: Path = ROOT) -> dict[str, Path]:
    """The chapters of ``_toc.yml`` by their two-digit number: ``{"01": .../notebooks/01_beta_vae_decomposition}``."""
    from ibcore.notebooks import toc_chapters

    return {p.name[:2]: p for p in toc_chapters(root)}


def parse_chapters(text: str, root: Path = ROOT) -> list[str]:
    """``"all"`` or ``"01,02"`` -> chapter numbers; ``ValueError`` naming ``--chapters`` and the known ones."""
    known = chapters(root)
    if str(text).strip() == "all":
        return sorted(known)
    wanted = [c.strip().zfill(2) for c in str(text).split(",") if c.strip()]
    unknown = [c for c in wanted if c not in known]
    if not wanted or unknown:
        raise ValueError(f"--chapters must be 'all' or a list of {', '.join(sorted(known))}; got {text!r}")
    return wanted


def _module_file(name: str, root: Path) -> Path | None:
    """``ibcore.info.probes`` -> its file under ``root`` (a module or a package's ``__init__``); None if absent."""
    base = root.joinpath(*name.split("."))
    for f in (base.with_suffix(".py"), base / "__init__.py"):
        if f.is_file():
            return f
    return None


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                names.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _ibcore_imports(tree: ast.Module, package: str) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every ibcore import in ``tree`` (a module of ``package``), function bodies
    included, except the body of a module-level ``__getattr__`` (lazy re-exports, followed by the importer)."""
    lazy = {id(n) for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"
            for n in ast.walk(f)}
    out = []
    for node in ast.walk(tree):
        if id(node) in lazy:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "ibcore"]
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level:  # relative import inside the package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(parts + ([mod] if mod else []))
            if mod.split(".")[0] == "ibcore":
                out.append((mod, [a.name for a in node.names]))
    return out


def _lazy_imports(tree: ast.Module, package: str, root: Path) -> list[str]:
    """Modules a module-level ``__getattr__`` imports (its lazy re-exports)."""
    mods = []
    for f in tree.body:
        if isinstance(f, ast.FunctionDef) and f.name == "__getattr__":
            sub = ast.Module(body=f.body, type_ignores=[])
            for mod, names in _ibcore_imports(sub, package):
                mods.append(mod)
                mods += [f"{mod}.{n}" for n in names if _module_file(f"{mod}.{n}", root)]
    return mods


def library_modules(path: Path, root: Path = ROOT) -> list[Path]:
    """The ``ibcore`` files a chapter (or module) at ``path`` runs: its ibcore imports, followed through the
    library (parent packages included; a lazily re-exported name is followed to the module defining it)."""
    seen: dict[str, Path] = {}
    queue: list[tuple[str, list[str]]] = _ibcore_imports(ast.parse(path.read_text()), "")
    trees: dict[str, ast.Module] = {}
    packages: dict[str, str] = {}  # module -> the package its relative imports resolve against

    def add(name: str) -> None:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # the packages above a module run first
            mod = ".".join(parts[:i])
            f = _module_file(mod, root)
            if f is None or mod in seen:
                continue
            seen[mod] = f
            trees[mod] = tree = ast.parse(f.read_text())
            packages[mod] = mod if f.name == "__init__.py" else mod.rpartition(".")[0]
            queue.extend(_ibcore_imports(tree, packages[mod]))

    while queue:
        mod, names = queue.pop()
        add(mod)
        for n in names:
            if _module_file(f"{mod}.{n}", root):  # from ibcore import info: a module
                add(f"{mod}.{n}")
            elif mod in trees and n not in _top_level_names(trees[mod]):  # a lazy re-export
                for lazy in _lazy_imports(trees[mod], packages[mod], root):
                    add(lazy)
    return sorted(f for m, f in seen.items() if f.name not in TOOLING)


def _params_entry(chapter: str, tree: ast.Module) -> str:
    """The chapter's own entry of ``CHAPTER_SIZES`` in the parsed ``params.py``: its imports, the table and
    the constants before it are executed on their own (the module itself may be another version than the
    one imported)."""
    head = []
    for node in tree.body:
        head.append(node)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "CHAPTER_SIZES":
            break
    namespace: dict[str, Any] = {}
    exec(compile(ast.Module(body=head, type_ignores=[]), "params.py", "exec"), namespace)
    return repr(namespace["CHAPTER_SIZES"].get(chapter))


def _params_code(tree: ast.Module) -> ast.Module:
    """``params.py`` without its table of sizes (and the private constants that table uses): the chapter's
    own entry is hashed instead, so resizing one chapter does not invalidate the others' runs."""
    table = next((n for n in tree.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "CHAPTER_SIZES"),
                 None)
    used = {n.id for n in ast.walk(table) if isinstance(n, ast.Name)} if table is not None else set()

    def is_table(node: ast.stmt) -> bool:
        if node is table:
            return True
        targets = node.targets if isinstance(node, ast.Assign) else []
        return any(isinstance(t, ast.Name) and t.id.startswith("_") and t.id in used for t in targets)

    return ast.Module(body=[n for n in tree.body if not is_table(n)], type_ignores=[])


def source_key(chapter: str, root: Path = ROOT) -> str:
    """Hash of the code a chapter runs: runs with another key do not count and are redone.

    It covers the chapter's ``.py`` and the ``ibcore`` modules it imports, followed through the library
    (:func:`library_modules`; the tooling ``sweep``, ``notebooks``, ``rerun`` left out), each as its syntax
    tree without comments and docstrings, so that prose and comments do not invalidate a run; from
    ``ibcore/params.py``, the chapter's own entry of ``CHAPTER_SIZES`` and the code around the table.
    """
    h = hashlib.sha256()
    chapter_py = chapters(root)[chapter].with_suffix(".py")
    for f in [chapter_py] + library_modules(chapter_py, root):
        tree = _strip_docstrings(ast.parse(f.read_text()))
        if f.name == "params.py" and f.parent.name == "ibcore":
            h.update(_params_entry(chapter, tree).encode())
            tree = _params_code(tree)
        h.update(str(f.relative_to(root)).encode())
        h.update(ast.dump(tree).encode())
    return h.hexdigest()[:16]


def git_commit(root: Path = ROOT) -> str | None:
    """The checked-out commit (with ``-dirty`` when tracked files differ from it); None outside git."""
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "ibcore", "notebooks"],
                               cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def result_path(results: Path, scale: str, chapter: str, seed: int) -> Path:
    return results / "sweeps" / scale / chapter / f"seed-{seed}.json"


def is_done(path: Path, key: str) -> bool:
    """Whether a stored run is finished, successful and made with the current code."""
    if not path.exists():
        return False
    try:
        run = json.loads(path.read_text())
    except json.JSONDecodeError:
        return False
    return run.get("status") == "ok" and run.get("source_key") == key


# -- one run (a Dask task) ----------------------------------------------------------------------------
def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("ibcore", "torch", "numpy", "scikit-learn", "papermill", "dask", "distributed"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _record_of_failed_check(output: Path, error: str) -> dict[str, Any] | None:
    """The claims record of a run whose only failure is its claim check (an asserted claim that did not hold
    with its control failing on this seed); None for any other failure or a missing record."""
    from ibcore.claims import NOT_EVIDENCE, read_record

    if NOT_EVIDENCE not in (error or "") or not output.exists():
        return None
    try:
        return read_record(output)
    except Exception:  # no readable record: the run failed before recording
        return None


def run_one(chapter: str, seed: int, scale: str, parameters: dict[str, Any] | None = None,
            threads: int = 1, runs_dir: str | None = None) -> dict[str, Any]:
    """Execute one chapter at one seed and scale; return its run record (never raises for a chapter error).

    Runs on a Dask worker: everything it needs is read from the worker's own copy of the repository.
    """
    from ibcore.claims import read_record

    import jupytext

    root = ROOT
    path = chapters(root)[chapter]
    out_dir = Path(runs_dir) if runs_dir else RUNS / scale / chapter
    out_dir = out_dir if out_dir.is_absolute() else root / out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    source = out_dir / f"seed-{seed}.source.ipynb"
    output = out_dir / f"seed-{seed}.ipynb"
    jupytext.write(jupytext.read(path.with_suffix(".py")), source)
    params = {"seed": seed, "scale": scale, **(parameters or {})}
    record: dict[str, Any] = {
        "chapter": chapter, "notebook": path.name, "seed": seed, "scale": scale, "parameters": params,
        "threads": threads, "source_key": source_key(chapter, root), "commit": git_commit(root),
        "versions": _versions(), "host": platform.node(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    env = dict(os.environ, IBCORE_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ibcore.sweep", "_execute", str(source), str(output),
                           json.dumps(params), str(path.parent)], capture_output=True, text=True, env=env)
    record["seconds"] = round(time.perf_counter() - start, 2)
    child = _last_json(proc.stdout)
    record["peak_rss_mib"] = child.get("peak_rss_mib")
    source.unlink(missing_ok=True)
    if proc.returncode != 0 or child.get("error"):
        error = child.get("error") or _last_line(proc.stderr) or f"exit status {proc.returncode}"
        claims = _record_of_failed_check(output, error)
        if claims is None:
            record["status"], record["error"], record["claims"] = "failed", error, None
        else:  # the chapter ran to its end and its claim check failed: a result, not a failed run
            record["status"], record["error"], record["claims"] = "ok", None, claims
            record["check_failed"] = error
        return record
    try:
        record["claims"] = read_record(output)
    except Exception as exc:  # a chapter that ran but left no readable record failed all the same
        record["claims"] = None
        record["status"], record["error"] = "failed", f"{type(exc).__name__}: {exc}"
        return record
    if record["claims"] is None:
        record["status"], record["error"] = "failed", "the chapter glued no claims record"
    else:
        record["status"], record["error"] = "ok", None
    return record


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            continue
    return {}


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _execute(source: str, output: str, params: str, cwd: str) -> int:
    """Child process of :func:`run_one`: papermill, then one JSON line with the error and peak memory."""
    import resource

    import papermill as pm

    error = None
    try:
        pm.execute_notebook(source, output, parameters=json.loads(params), kernel_name="python3",
                            progress_bar=False, cwd=cwd, log_output=False)
    except pm.PapermillExecutionError as exc:
        error = f"{exc.ename}: {exc.evalue}".strip()
    except Exception as exc:  # noqa: BLE001  (recorded, not hidden: the run is marked failed)
        error = f"{type(exc).__name__}: {exc}".strip()
    rss = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
              resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024
    print(json.dumps({"error": error.splitlines()[-1] if error else None, "peak_rss_mib": round(rss, 1)}))
    return 0


# -- the sweep ----------------------------------------------------------------------------------------
def machine_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def plan(chapter_ids: Iterable[str], seeds: Iterable[int], scale: str, results: Path = RESULTS,
         force: bool = False) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Split (chapter, seed) pairs into those to run and those already done with the current code."""
    todo, done = [], []
    for ch in chapter_ids:
        key = source_key(ch)
        for s in seeds:
            (done if not force and is_done(result_path(results, scale, ch, s), key) else todo).append((ch, s))
    return todo, done


# Dask's housekeeping at its defaults costs about 16 % of a core on a LocalCluster of two workers waiting on
# their tasks (measured: two 20 s tasks, scheduler and workers 3.1 CPU-s; the worker's statistical profiler
# samples every 10 ms, the event loops tick every 20 ms, the system monitor runs twice a second). A sweep's
# tasks last minutes and nobody watches a dashboard, so none of it is needed: with these settings the same
# test costs 0.5 CPU-s (about 3 % of a core), CPU given back to the chapters. Only a LocalCluster gets them:
# an existing cluster (``--scheduler``) keeps the configuration its workers were started with.
QUIET_DASK = {"distributed.worker.profile.enabled": False,
              "distributed.admin.tick.interval": "200ms",
              "distributed.admin.system-monitor.interval": "2s",
              "distributed.worker.memory.monitor-interval": "1s"}


def local_cluster(workers: int):
    """A LocalCluster of ``workers`` processes, one Dask thread each, quiet (``QUIET_DASK``), no dashboard."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set(QUIET_DASK):  # the worker processes are spawned with this configuration
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=40)


def run_sweep(chapter_ids: list[str], seeds: list[int], scale: str, *, parameters: dict[str, Any] | None = None,
              workers: int | None = None, threads: int | None = None, scheduler: str | None = None,
              results: Path = RESULTS, force: bool = False, progress: bool = True,
              per_run: dict[tuple[str, int], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Run every missing (chapter, seed) on Dask, writing each run's JSON as it finishes.

    ``parameters`` go to every run; ``per_run`` adds parameters to single (chapter, seed) runs.
    Returns ``{"ran": [...], "skipped": [...], "failed": [...]}`` (lists of ``(chapter, seed)``).
    """
    from dask.distributed import Client, as_completed
    from tqdm.auto import tqdm

    todo, done = plan(chapter_ids, seeds, scale, results, force)
    summary: dict[str, Any] = {"ran": [], "skipped": done, "failed": []}
    if not todo:
        return summary
    cores = machine_cores()
    if scheduler:
        threads = threads or 1
        client = Client(scheduler)
        cluster = None
    else:
        threads = threads or 1
        workers = workers or max(1, cores // threads)
        if workers * threads > cores:
            raise ValueError(f"--workers x --threads-per-worker = {workers * threads} exceeds the {cores} cores "
                             "of this machine; lower one of them")
        # Dask's own threads_per_worker is 1: each worker runs one chapter at a time; the chapter's torch
        # threads are ``threads``, set through IBCORE_THREADS in run_one.
        cluster = local_cluster(workers)
        client = Client(cluster)
    try:
        futures = {client.submit(run_one, ch, s, scale, {**(parameters or {}), **(per_run or {}).get((ch, s), {})}, threads, key=f"ibcore-{ch}-{scale}-{s}-{time.time_ns()}",
                                 pure=False): (ch, s) for ch, s in todo}
        bar = tqdm(total=len(futures), desc=f"sweep {scale}", unit="run", disable=not progress)
        for fut in as_completed(futures):
            ch, s = futures[fut]
            try:
                run = fut.result()
            except Exception as exc:  # a killed worker, a lost connection: recorded, the sweep goes on
                run = {"chapter": ch, "seed": s, "scale": scale, "status": "failed", "claims": None,
                       "error": f"{type(exc).__name__}: {_last_line(str(exc)) or 'worker lost'}",
                       "source_key": source_key(ch), "commit": git_commit()}
            path = result_path(results, scale, ch, s)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(run, indent=1, sort_keys=True) + "\n")
            (summary["ran"] if run["status"] == "ok" else summary["failed"]).append((ch, s))
            bar.set_postfix_str(f"{ch} seed {s}: {run['status']}")
            bar.update()
        bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return summary


# -- the robustness summary ---------------------------------------------------------------------------
def load_runs(results: Path, scale: str, chapter_ids: Iterable[str] | None = None,
              current_only: bool = True) -> list[dict[str, Any]]:
    """Every stored run at ``scale`` (of the current code only, by default)."""
    out = []
    base = results / "sweeps" / scale
    keys = {}
    for f in sorted(base.glob("*/seed-*.json")):
        ch = f.parent.name
        if chapter_ids is not None and ch not in chapter_ids:
            continue
        run = json.loads(f.read_text())
        if current_only:
            if ch not in keys:
                keys[ch] = source_key(ch) if ch in chapters() else None
            if run.get("source_key") != keys[ch]:
                continue
        out.append(run)
    return out


def _quantiles(values: list[float]) -> dict[str, float | None]:
    import numpy as np

    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return {"median": None, "min": None, "max": None, "q05": None, "q95": None}
    a = np.asarray(vals, dtype=float)
    return {"median": float(np.median(a)), "min": float(a.min()), "max": float(a.max()),
            "q05": float(np.quantile(a, 0.05)), "q95": float(np.quantile(a, 0.95))}


def summarize_runs(runs: list[dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    """Per claim over ``seeds``: k/n held, control held, evidence, value quantiles, and the verdict rule."""
    seeds = sorted(seeds)
    ok = [r for r in runs if r.get("status") == "ok" and r.get("seed") in seeds and r.get("claims")]
    failed = [{"chapter": r["chapter"], "seed": r["seed"], "error": r.get("error")}
              for r in runs if r.get("status") != "ok" and r.get("seed") in seeds]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for run in sorted(ok, key=lambda r: (r["chapter"], r["seed"])):
        for c in run["claims"]["claims"]:
            key = (run["chapter"], c["id"])
            row = rows.setdefault(key, {"chapter": run["chapter"], "id": c["id"], "slide": c.get("slide", ""),
                                        "claim": c["claim"], "kind": c["kind"], "op": c.get("op"),
                                        "threshold": c.get("threshold"), "unit": c.get("unit", ""),
                                        "control": c.get("control"), "per_seed": []})
            row["per_seed"].append({"seed": run["seed"], "value": c.get("value"), "holds": c.get("holds"),
                                    "control_value": c.get("control_value"),
                                    "control_holds": c.get("control_holds"), "evidence": c.get("evidence"),
                                    "verdict": c.get("verdict")})
    need = len(seeds)
    out = []
    for row in rows.values():
        ps = row["per_seed"]
        n = len(ps)
        row["n"] = n
        row["seeds_asked"] = need
        row["held"] = sum(bool(p["holds"]) for p in ps)
        row["control_held"] = sum(bool(p["control_holds"]) for p in ps)
        row["control_n"] = sum(p["control_holds"] is not None for p in ps)
        row["evidence"] = sum(bool(p["evidence"]) for p in ps)
        row["value"] = _quantiles([p["value"] for p in ps])
        row["control_value"] = _quantiles([p["control_value"] for p in ps])
        if row["kind"] == "asserted":
            if n < need:
                row["verdict"] = "incomplete"
            else:
                row["verdict"] = "robust" if row["evidence"] >= math.ceil(ROBUST_SHARE * need) else "fragile"
        else:
            counts = Counter(p["verdict"] for p in ps)
            row["verdict_counts"] = dict(counts)
            top, k = counts.most_common(1)[0] if counts else ("inconclusive", 0)
            if n < need:
                row["verdict"] = "incomplete"
            else:
                row["verdict"] = top if k >= math.ceil(ROBUST_SHARE * need) else "inconclusive"
        out.append(row)
    out.sort(key=lambda r: (r["chapter"], r["kind"], r["id"]))
    return {"seeds": seeds, "rule": "asserted: robust when held with its control failing on at least "
            f"{math.ceil(ROBUST_SHARE * need)} of {need} seeds, else fragile; reported: the verdict of at least "
            f"{math.ceil(ROBUST_SHARE * need)} of {need} seeds, else inconclusive",
            "claims": out, "failed_runs": failed,
            "runs": [{"chapter": r["chapter"], "seed": r["seed"], "commit": r.get("commit"),
                      "source_key": r.get("source_key"), "seconds": r.get("seconds"),
                      "peak_rss_mib": r.get("peak_rss_mib")} for r in sorted(ok, key=lambda r: (r["chapter"], r["seed"]))]}


def summarize(results: Path = RESULTS, scale: str = "book", seeds: list[int] | None = None,
              out: Path | None = None) -> dict[str, Any]:
    """Write ``results/robustness.json`` (or ``out``) from the stored runs of the current code."""
    seeds = seeds or list(range(1, 6))
    summary = summarize_runs(load_runs(results, scale), seeds) | {"scale": scale}
    out = out or results / "robustness.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return summary


# -- command line -------------------------------------------------------------------------------------
def _parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    import yaml

    return {k: yaml.safe_load(v) for k, v in (pairs or [])}


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "_execute":
        return _execute(*argv[1:5])
    parser = argparse.ArgumentParser(prog="python -m ibcore.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run chapters x seeds on Dask, skipping finished runs")
    run.add_argument("--chapters", default="all", help="'all' or e.g. 01,02")
    run.add_argument("--seeds", default="1-5", help="e.g. 1-5 or 0,3 (default: the confirmation seeds 1-5)")
    run.add_argument("--scale", default="book", choices=("smoke", "book", "paper"))
    run.add_argument("--workers", type=int, help="LocalCluster workers (default: cores / threads)")
    run.add_argument("--threads-per-worker", type=int, help="torch threads per chapter (default 1)")
    run.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    run.add_argument("--device", help="passed to every chapter as -p device (e.g. cuda on GPU workers)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                     help="a chapter parameter for every run (YAML value), like papermill's -p")
    run.add_argument("--results", default=str(RESULTS), help="where run JSONs go (default results/)")
    run.add_argument("--force", action="store_true", help="rerun even finished runs")
    run.add_argument("--no-summary", action="store_true", help="do not rewrite robustness.json afterwards")
    summ = sub.add_parser("summarize", help="write results/robustness.json from the stored runs")
    summ.add_argument("--scale", default="book", choices=("smoke", "book", "paper"))
    summ.add_argument("--seeds", default="1-5")
    summ.add_argument("--results", default=str(RESULTS))
    stat = sub.add_parser("status", help="which runs are done with the current code")
    stat.add_argument("--chapters", default="all")
    stat.add_argument("--seeds", default="1-5")
    stat.add_argument("--scale", default="book", choices=("smoke", "book", "paper"))
    stat.add_argument("--results", default=str(RESULTS))
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
        results = Path(args.results)
        if args.command == "summarize":
            s = summarize(results, args.scale, seeds)
            verdicts = Counter(c["verdict"] for c in s["claims"])
            print(f"{len(s['claims'])} claims over seeds {args.seeds}: " +
                  ", ".join(f"{v} {k}" for k, v in sorted(verdicts.items())) +
                  f"; {len(s['failed_runs'])} failed runs -> {results / 'robustness.json'}")
            return 0
        chapter_ids = parse_chapters(args.chapters)
        if args.command == "status":
            todo, done = plan(chapter_ids, seeds, args.scale, results)
            print(f"done with the current code: {len(done)}; to run: {len(todo)}")
            for ch, s in todo:
                print(f"  to run: chapter {ch} seed {s}")
            return 0
        if args.workers is not None and args.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {args.workers}")
        if args.threads_per_worker is not None and args.threads_per_worker < 1:
            raise ValueError(f"--threads-per-worker must be >= 1, got {args.threads_per_worker}")
        parameters = _parameters(args.parameter)
        if args.device:
            parameters["device"] = args.device
        out = run_sweep(chapter_ids, seeds, args.scale, parameters=parameters, workers=args.workers,
                        threads=args.threads_per_worker, scheduler=args.scheduler, results=results,
                        force=args.force)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"ran {len(out['ran'])}, skipped {len(out['skipped'])} (done with the current code), "
          f"failed {len(out['failed'])}")
    for ch, s in out["failed"]:
        err = json.loads(result_path(results, args.scale, ch, s).read_text()).get("error")
        print(f"  failed: chapter {ch} seed {s}: {err}")
    if not args.no_summary:
        summarize(results, args.scale, seeds)
    return 1 if out["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
