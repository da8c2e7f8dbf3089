"""zhili (治理): decision support for Chinese grassroots governance.

A library first: load a case library, analyse a problem statement, run expert rules,
retrieve and fuse matches, and explain the answer. The CLI and API are thin layers on top.
"""

__version__ = "0.1.0"
