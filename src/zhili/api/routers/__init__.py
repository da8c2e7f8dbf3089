"""One router per resource; `zhili.api.app` mounts them under /api/v1."""
