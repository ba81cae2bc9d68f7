"""Seed-0 pilot of chapter 7's object model (issue 19): which recipe, at what step cost, on validation scenes.

Never looks at the chapter's evaluation scenes: the pilot draws its own validation scenes from the stream
``30_000 + seed`` (the chapter's training stream is ``seed``, its held-out ones ``10_000 + seed`` and
``20_000 + seed``). Each run appends one row to ``results/pilots/07_seed0.json``:

    python bench/pilot_07.py --steps 600 --eval-every 100 --name r1 [--cells 4 --shift 1.0 ...]
    python bench/pilot_07.py --grids          # P0: FG-ARI of fixed grids, no training

The recipe itself (schedules, clipping) is ``ibcore.cells.train_grid_ae``; this script only varies its
arguments and scores the result, so what the chapter runs is what was piloted.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from ibcore import seed_everything
from ibcore.cells import GridAE, GridAEConfig, score_segmentation, train_grid_ae
from ibcore.metrics import fg_ari
from ibcore.scenes import MultiSprites, grid_partition

OUT = Path(__file__).resolve().parents[1] / "results" / "pilots" / "07_seed0.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="r1")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--grids", action="store_true", help="P0: fixed grids only")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--n-train", type=int, default=20_000)
    ap.add_argument("--n-val", type=int, default=512)
    ap.add_argument("--cells", type=int, default=4)
    ap.add_argument("--shift", type=float, default=1.0)
    ap.add_argument("--glimpse", type=int, default=14)
    ap.add_argument("--what", type=int, default=6)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--prior-start", type=float, default=0.5)
    ap.add_argument("--prior-end", type=float, default=0.1)
    ap.add_argument("--hold", type=float, default=0.15, help="share of steps at the starting prior")
    ap.add_argument("--anneal-end", type=float, default=0.5, help="share of steps at which the prior reaches its end")
    ap.add_argument("--tau-start", type=float, default=2.5)
    ap.add_argument("--tau-end", type=float, default=0.5)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--sigma", type=float, default=None, help="Gaussian mixture likelihood of this scale")
    ap.add_argument("--save", default=None, help="write the trained model's state dict here (for a look)")
    args = ap.parse_args()

    world = MultiSprites(canvas=32)
    val = world.sample(args.n_val, torch.Generator().manual_seed(30_000 + args.seed))
    row: dict = {"name": args.name, "seed": args.seed, "threads": torch.get_num_threads()}
    if args.grids:
        labels, multi = val.labels(), val.counts >= 2
        row["grid_fg_ari"] = {k: round(float(fg_ari(labels, grid_partition(k, 32)[None])[multi].mean()), 4)
                              for k in range(1, 17)}
        untrained = GridAE(GridAEConfig(cells=args.cells, shift=args.shift, glimpse=args.glimpse, what=args.what))
        row["untrained"] = score_segmentation(untrained, val)
    else:
        train = world.sample(args.n_train, torch.Generator().manual_seed(args.seed))
        cfg = GridAEConfig(cells=args.cells, shift=args.shift, glimpse=args.glimpse, what=args.what)
        vars(args).pop("grids")
        save = vars(args).pop("save")
        row["args"] = vars(args)
        seed_everything(args.seed)
        model = GridAE(cfg)
        evals = []

        def callback(step, model, _row):
            if step % args.eval_every == 0 or step == args.steps:
                s = score_segmentation(model, val)
                s["step"] = step
                evals.append(s)
                print(json.dumps(s), flush=True)

        t0 = time.perf_counter()
        history = train_grid_ae(model, train.images, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                                presence_prior=(args.prior_start, args.prior_end), hold=args.hold,
                                anneal_end=args.anneal_end, temperature=(args.tau_start, args.tau_end),
                                clip=args.clip, sigma=args.sigma, seed=args.seed, log_every=args.eval_every, callbacks=[callback])
        row["seconds"] = round(time.perf_counter() - t0, 1)
        row["ms_per_step"] = round(1000 * row["seconds"] / args.steps, 1)
        row["evals"] = evals
        if save:
            torch.save(model.state_dict(), save)
        row["last"] = {k: round(float(v), 3) for k, v in history.iloc[-1].items() if not k.startswith("kl_per")}
    print(json.dumps(row))
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    OUT.write_text(json.dumps(rows + [row], indent=1) + "\n")


if __name__ == "__main__":
    main()
