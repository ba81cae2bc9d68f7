"""Benchmark of the linear probes of chapters 3, 4 and 6: before (the implementations the chapters used
until now) against after (``ibcore.info.probes.linear_probe``), on chapter-3-like features.

    python bench/probes.py            # features of a plain conv net trained briefly on 48 px cluttered digits
    python bench/probes.py --tiny     # every code path in seconds

Features: the input pixels (pooled to 8x8) and the five block representations of chapter 3's plain network
(pooled to at most 4x4 positions; 64 to 576 features), for 3,000 fit and 3,000 evaluation images, with the
chapter's five targets (task, position, noise, clutter, distractor). Rows:

- ``torch-lbfgs-float64`` (before, chapters 3-5): one autograd L-BFGS fit of all targets, float64, 100
  iterations, fixed C = 0.01;
- ``sklearn`` (before, chapter 6): scikit-learn's LogisticRegression, one fit per target, fixed C;
- ``after, fixed C``: ``linear_probe(c=0.01)``, the same estimate (bits compared per target);
- ``after, cross-validated C``: ``linear_probe()``, C chosen per target by 3-fold CV on the fit split (what
  the chapters now run; a different, better estimate, so only its time is compared).

Times are CPU seconds of this process (``time.process_time``) and wall seconds, at the thread count given
(default 1, which measures work rather than how busy the shared machine is), alternated A B A B over
``--repeats``. Writes ``bench/probes.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ibcore.info.probes import linear_probe, marginal_cross_entropy_bits, probe_information  # noqa: E402


def before_torch(z_fit, targets_fit, z_eval, targets_eval, c=0.01, max_iter=100):
    """The chapters' linear probe until now (ibcore.info.linear_probe_bits at commit e0ab4c7), verbatim."""
    z_fit, z_eval = z_fit.double().flatten(1), z_eval.double().flatten(1)
    mean, std = z_fit.mean(0), z_fit.std(0).clamp_min(1e-6)
    z_fit, z_eval = (z_fit - mean) / std, (z_eval - mean) / std
    names = list(targets_fit)
    sizes = [int(max(targets_fit[k].max(), targets_eval[k].max())) + 1 for k in names]
    weight = torch.zeros(z_fit.shape[1], sum(sizes), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(sum(sizes), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], lr=1, max_iter=max_iter, tolerance_grad=1e-6,
                            line_search_fn="strong_wolfe")
    n = len(z_fit)

    def closure():
        opt.zero_grad()
        logits = z_fit @ weight + bias
        loss = sum(torch.nn.functional.cross_entropy(part, targets_fit[k], reduction="sum")
                   for part, k in zip(logits.split(sizes, 1), names))
        loss = (loss + weight.pow(2).sum() / (2 * c)) / n
        loss.backward()
        return loss

    opt.step(closure)
    out = {}
    with torch.no_grad():
        logits = z_eval @ weight + bias
        for part, k, size in zip(logits.split(sizes, 1), names, sizes):
            h = marginal_cross_entropy_bits(targets_fit[k], targets_eval[k], size)
            ce = float(torch.nn.functional.cross_entropy(part, targets_eval[k]) / math.log(2))
            out[k] = h - ce
    return out


def before_sklearn(z_fit, targets_fit, z_eval, targets_eval, c=0.01):
    """scikit-learn, one LogisticRegression per target (chapter 6's probe until now, at C = c)."""
    return {k: probe_information(z_fit.numpy(), targets_fit[k].numpy(), z_eval.numpy(), targets_eval[k].numpy(),
                                 c=c, method="sklearn")["bits"] for k in targets_fit}


def features(tiny: bool):
    from ibcore.data import CLUTTER_NUISANCES, ClutteredDigits
    from ibcore.info.probes import block_representations
    from ibcore.models import ConvNetConfig
    from ibcore.train import train_classifier

    n_train, n = (300, 300) if tiny else (5000, 3000)
    data = ClutteredDigits(n_train=n_train, n_probe=n, n_test=n, canvas=48, seed=0)
    model, _ = train_classifier(ConvNetConfig(canvas=48), data.x_train, data.y_train, epochs=1 if tiny else 2,
                                batch_size=128, lr=2e-3, seed=0, progress=False)
    t_fit = {"task": data.y_probe, **{k: data.nuisances_probe[k] for k in CLUTTER_NUISANCES}}
    t_eval = {"task": data.y_test, **{k: data.nuisances_test[k] for k in CLUTTER_NUISANCES}}
    pool = lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 8).flatten(1)  # noqa: E731
    reps_fit = [pool(data.x_probe)] + block_representations(model, data.x_probe)
    reps_eval = [pool(data.x_test)] + block_representations(model, data.x_test)
    labels = ["input"] + [f"block {i + 1}" for i in range(4)] + ["global pool"]
    return labels, reps_fit, reps_eval, t_fit, t_eval


def timed(fn):
    t, w = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - t, time.perf_counter() - w


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiny", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-sklearn", action="store_true", help="skip the (slow) scikit-learn row")
    ap.add_argument("--out", default=str(ROOT / "bench" / "probes.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    labels, reps_fit, reps_eval, t_fit, t_eval = features(args.tiny)
    methods = {
        "before: torch L-BFGS float64, C=0.01": lambda zf, ze: before_torch(zf, t_fit, ze, t_eval),
        "after: linear_probe, C=0.01": lambda zf, ze: {k: v["bits"] for k, v in linear_probe(zf, t_fit, ze, t_eval, c=0.01).items()},
        "after: linear_probe, C by 3-fold CV": lambda zf, ze: {k: v["bits"] for k, v in linear_probe(zf, t_fit, ze, t_eval).items()},
    }
    if not args.no_sklearn:
        methods["before: scikit-learn per target, C=0.01"] = lambda zf, ze: before_sklearn(zf, t_fit, ze, t_eval)
    cpu = {m: [0.0] * args.repeats for m in methods}
    wall = {m: [0.0] * args.repeats for m in methods}
    bits: dict[str, dict] = {m: {} for m in methods}
    for rep in range(args.repeats):  # A B A B: the machine's load hits every method alike
        for label, zf, ze in zip(labels, reps_fit, reps_eval):
            for m, fn in methods.items():
                out, c, w = timed(lambda: fn(zf, ze))
                cpu[m][rep] += c
                wall[m][rep] += w
                bits[m][label] = out
    ref = "before: torch L-BFGS float64, C=0.01"
    rows = []
    for m in methods:
        diff = max(abs(bits[m][lab][k] - bits[ref][lab][k]) for lab in labels for k in t_fit)
        rows.append({"method": m, "cpu_seconds": statistics.median(cpu[m]), "wall_seconds": statistics.median(wall[m]),
                     "speedup_vs_before_torch": statistics.median(cpu[ref]) / statistics.median(cpu[m]),
                     "max_abs_diff_bits_vs_before_torch": diff,
                     "bits": {lab: {k: round(v, 4) for k, v in bits[m][lab].items()} for lab in labels}})
    result = {"what": "linear probes of chapters 3, 4, 6: all targets of the six representations of a chapter-3-like net",
              "features": {lab: int(z.shape[1]) for lab, z in zip(labels, reps_fit)}, "n_fit": int(len(reps_fit[0])),
              "n_eval": int(len(reps_eval[0])), "targets": {k: int(v.max()) + 1 for k, v in t_fit.items()},
              "threads": args.threads, "repeats": args.repeats, "tiny": args.tiny, "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    for r in rows:
        print(f"{r['method']:<45} cpu {r['cpu_seconds']:7.2f} s  wall {r['wall_seconds']:7.2f} s  "
              f"x{r['speedup_vs_before_torch']:.2f}  max |diff| {r['max_abs_diff_bits_vs_before_torch']:.4f} bits")
    return result


if __name__ == "__main__":
    main()
