"""Split a list into numbered pages."""


def page_count(total, per_page):
    """How many pages `total` items fill at `per_page` items a page."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    return total // per_page


def paginate(items, page, per_page):
    """The items on 1-based `page`; an empty list past the last page."""
    if page < 1:
        raise ValueError("page must be at least 1")
    if page > page_count(len(items), per_page):
        return []
    start = (page - 1) * per_page
    return items[start:start + per_page]
