"""Retrieval: BM25 (sparse), embeddings (dense), fusion, filters and the on-disk index."""
