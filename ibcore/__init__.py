"""ibcore: the library behind the executable book on Lecture 6 (VAEs and disentanglement).

Every chapter imports its models, losses, estimators and figures from here; a notebook
holds no model or loss of its own. Modules:

- ``runtime``: seeding, thread count and device choice (every chapter).
- ``params``: the named scales of each chapter and validation of papermill parameters.
- ``data``: procedural dSprites (chapters 1-2), cluttered digits (3-5), noisy 8x8 digits and label noise (5-6),
  and (from ``scenes``) multi-object dSprites scenes (7).
- ``models``: VAEs (1-2), conv classifiers and Information Dropout (3-5), VIB (5), Bayesian MLPs (6), and (from
  ``slots``) the object model of chapter 7.
- ``scenes``: multi-object dSprites scenes with masks and per-object factors, and fixed grid partitions (7).
- ``slots``: Slot Attention with AIR's where/what latents and glimpse decoder (7).
- ``losses``: loss terms in nats, returned as dicts of named tensors.
- ``info``: information estimators: KL decomposition (1), probes (3-6), PAC-Bayes (6).
- ``metrics``: disentanglement metrics, MIG and DCI (2).
- ``train``: the one ``fit`` loop and the classifier recipe built on it.
- ``notebooks``: book tooling: pairing and contract checks, executing chapters.
- ``rerun``: rerun a chapter with other parameters (``make rerun``), refusing bad ones first.
- ``sweep``: seed sweeps of the chapters on Dask and the robustness summary.
- ``plots``: the book's figure helpers on one seaborn theme.
- ``claims``: the claim tables every chapter ends with, and their machine-readable record.
"""

from ibcore.runtime import seed_everything, resolve_device

__all__ = ["seed_everything", "resolve_device"]
__version__ = "0.1.0"
