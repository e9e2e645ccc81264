"""Text helpers. The public API is re-exported here once every module exists."""
