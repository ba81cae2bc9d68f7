"""Information estimators, in nats unless a name says bits.

- ``decomposition``: the KL decomposition of a VAE's posterior (chapter 1).
- ``probes``: probe-based information in bits (chapters 3-6).
- ``pacbayes``: PAC-Bayes bounds (chapter 6).
- ``selectivity``: nuisance bits lost against task bits lost (chapters 3-4; imported from its module, not
  re-exported here, so that the other chapters' sweep keys do not depend on it).

The names chapters import (``from ibcore.info import kl_decomposition``) are re-exported here.
"""

from ibcore.info.decomposition import kl_decomposition, permute_latents, tc_against_n
from ibcore.info.pacbayes import binary_kl_inverse, pac_bayes_bound
from ibcore.info.probes import (PROBE_C, block_representations, linear_probe_bits, marginal_cross_entropy_bits,
                                probe_blocks, probe_information)

__all__ = ["kl_decomposition", "permute_latents", "tc_against_n", "marginal_cross_entropy_bits", "probe_information", "linear_probe_bits",
           "binary_kl_inverse", "pac_bayes_bound", "block_representations", "probe_blocks", "PROBE_C"]
