"""URL slugs for page titles."""

import re
import unicodedata


def slugify(title):
    """Lowercase ASCII words of `title` joined by single dashes."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9]", "-", text).lower()
    return text.strip("-")
