"""`rgb(255, 0, 10)` -> (255, 0, 10)."""

from textparse.legacy import split


def parse_rgb(text):
    parts = split(text, "(),")
    if len(parts) != 4 or parts[0] != "rgb":
        raise ValueError("not rgb(r, g, b): %r" % text)
    values = tuple(int(p) for p in parts[1:])
    if not all(0 <= v <= 255 for v in values):
        raise ValueError("channel out of range: %r" % text)
    return values
