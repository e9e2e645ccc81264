"""Plain text: one `key=value` line a row."""


def to_text(rows):
    return "".join(" ".join("%s=%s" % kv for kv in row.items()) + "\n" for row in rows)
