"""Free text as people type it: one check for every field, in the chat, the console and the command line.

Control characters have no place in a name, a course or a reason: NUL breaks PostgreSQL's text type,
others break the XML of an export or hide what a line really says (bidirectional overrides).
Line breaks and tabs stay, for the console's multi-line fields.
"""

import unicodedata

UNSAFE_TEXT = "输入内容含有无法显示的控制字符（可能是从其他地方复制带来的），请删除后重新输入。"
_ALLOWED_CONTROLS = frozenset("\t\n\r")
# Bidirectional embeddings, overrides and isolates: they make text display other than it reads.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class UnsafeText(ValueError):
    """The text holds a character no field may hold; nothing was changed."""

    def __init__(self) -> None:
        super().__init__(UNSAFE_TEXT)
        self.message = UNSAFE_TEXT


def is_safe_text(text: str) -> bool:
    for char in text:
        if char in _ALLOWED_CONTROLS:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff":
            return False
    return True


def check_text_safe(text: str) -> str:
    """The text unchanged, or UnsafeText."""
    if not is_safe_text(text):
        raise UnsafeText
    return text
