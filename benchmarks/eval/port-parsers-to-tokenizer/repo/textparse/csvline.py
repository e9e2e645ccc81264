"""`a, b ,c` -> ["a", "b", "c"]."""

from textparse.legacy import split


def parse_csv_line(text):
    return split(text, ",")
