"""`/usr//local/bin/` -> ["usr", "local", "bin"]."""

from textparse.legacy import split


def parse_path(text):
    return split(text, "/")
