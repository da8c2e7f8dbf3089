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

__version__ = "0.1.0"
