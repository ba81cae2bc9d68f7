"""ibcore: the library behind the executable book on Lecture 6 (VAEs and disentanglement).

Every chapter imports its models, losses, estimators and figures from here; a notebook
holds no model or loss of its own. Modules:

- ``runtime``: seeding, thread count and device choice (every chapter).
- ``params``: the named scales of each chapter and validation of papermill parameters.
- ``data``: procedural dSprites (chapter 1-2).
- ``models``: VAEs (chapters 1-2).
- ``losses``: loss terms in nats, returned as dicts of named tensors.
- ``info``: information estimators (KL decomposition of chapter 1).
- ``train``: the one ``fit`` loop.
- ``plots``: the book's figure helpers on one seaborn theme.
- ``claims``: the claim tables every chapter ends with, and their machine-readable record.
"""

from ibcore.runtime import seed_everything, resolve_device

__all__ = ["seed_everything", "resolve_device"]
__version__ = "0.1.0"
