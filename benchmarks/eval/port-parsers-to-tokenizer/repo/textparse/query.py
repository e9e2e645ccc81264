"""`a=1&b=x%20y` -> {"a": "1", "b": "x y"}."""

from urllib.parse import unquote_plus

from textparse.legacy import split


def parse_query(text):
    out = {}
    for pair in split(text.lstrip("?"), "&"):
        key, _, value = pair.partition("=")
        out[unquote_plus(key)] = unquote_plus(value)
    return out
