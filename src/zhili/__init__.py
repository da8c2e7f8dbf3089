"""zhili (治理): decision support for Chinese grassroots governance.

A library first: load a case library, analyse a problem statement, run expert rules,
retrieve and fuse matches, and explain the answer. The CLI and API are thin layers on top.
"""

import os as _os

# The bundled embedder and faiss use OpenMP, whose threads spin while idle by default. On a
# shared 2-core machine that turned 20 ms query embeddings into 1.5–2.5 s stalls (measured while
# building the API); passive waiting removes them. Must be set before any OpenMP runtime loads,
# hence here. A deployment can still choose otherwise by setting the variable itself.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# numpy's OpenBLAS threads spin the same way after each matrix-vector product and then fight the
# embedder for the two cores: at 10^4 cases a query went 84 → 40 ms p50 with one BLAS thread
# (the products here are memory-bound; extra threads buy nothing). Must precede numpy's import.
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
