"""The one tokenizer every parser uses (textparse.legacy.split is gone)."""


def tokens(text, seps):
    """The pieces of `text` between any of the characters in `seps`, stripped, empty
    pieces dropped."""
    pieces, current = [], []
    for ch in text:
        if ch in seps:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]
