"""`1.2.3` -> (1, 2, 3)."""

from textparse.legacy import split


def parse_semver(text):
    parts = split(text, ".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError("not MAJOR.MINOR.PATCH: %r" % text)
    return tuple(int(p) for p in parts)
