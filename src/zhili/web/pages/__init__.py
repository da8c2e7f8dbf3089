"""One module per page family; each exposes its own `router`."""
