"""Lists a page at a time: how many pages a total makes, and which page was asked for, kept within them."""

from storage.ids import as_number


def page_count(total: int, size: int) -> int:
    """At least one page, so an empty list still has a page to show."""
    return max(1, -(-total // size))


def page_asked(text: object, pages: int) -> int:
    """The page in a query or form, within 1 … `pages`; anything that is not a page number is the first."""
    return min(max(as_number(text, 6) or 1, 1), pages)
