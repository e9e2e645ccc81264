"""`a=1; b=2` -> {"a": "1", "b": "2"}."""

from textparse.legacy import split


def parse_kv(text):
    out = {}
    for pair in split(text, ";"):
        key, _, value = pair.partition("=")
        out[key.strip()] = value.strip()
    return out
