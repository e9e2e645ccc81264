"""Validators for common identifiers. Each module holds one is_<kind>(text) -> bool."""
