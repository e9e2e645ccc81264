"""Durations written like "1h30m" or "45s"."""


def parse_duration(text):
    """Seconds in `text`: one or more <digits><unit> parts, unit h, m or s.

    Surrounding whitespace is ignored; anything else raises ValueError.
    """
    raise NotImplementedError("parse_duration")
