"""The custom menu: one config file, checked against WeChat's limits and against the journeys' menu keys.

The check runs when this module is imported, so `jxjy` (and the test suite) stops at a button no journey
answers before any menu reaches WeChat."""

import tomllib
from importlib.resources import files
from typing import Any

from handlers.router import menu_keys

MAX_BUTTONS, MAX_SUB_BUTTONS = 3, 5
MAX_NAME_BYTES, MAX_SUB_NAME_BYTES, MAX_KEY_BYTES = 16, 60, 128


def load_menu() -> dict[str, Any]:
    menu = tomllib.loads(files("bot.wechat").joinpath("menu.toml").read_text(encoding="utf-8"))
    _check(menu)
    check_claimed(menu, menu_keys())
    return menu


def click_keys(menu: dict[str, Any]) -> set[str]:
    buttons = [b for top in menu["button"] for b in [top, *top.get("sub_button", [])]]
    return {b["key"] for b in buttons if b.get("type") == "click"}


def check_claimed(menu: dict[str, Any], claimed: set[str]) -> None:
    if unclaimed := click_keys(menu) - claimed:
        raise ValueError(f"menu keys no journey claims: {', '.join(sorted(unclaimed))}")


def _check(menu: dict[str, Any]) -> None:
    buttons = menu.get("button", [])
    if not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ValueError(f"a menu has 1 to {MAX_BUTTONS} buttons")
    for top in buttons:
        _check_button(top, MAX_NAME_BYTES, needs_action="sub_button" not in top)
        subs = top.get("sub_button", [])
        if len(subs) > MAX_SUB_BUTTONS:
            raise ValueError(f"{top['name']}: at most {MAX_SUB_BUTTONS} sub-buttons")
        for sub in subs:
            _check_button(sub, MAX_SUB_NAME_BYTES, needs_action=True)


def _check_button(button: dict[str, Any], max_name: int, needs_action: bool) -> None:
    name = button.get("name", "")
    if not name or len(name.encode()) > max_name:
        raise ValueError(f"button name {name!r} is empty or longer than {max_name} bytes")
    if not needs_action:
        return
    if button.get("type") == "click" and not 0 < len(button.get("key", "").encode()) <= MAX_KEY_BYTES:
        raise ValueError(f"{name}: a click button needs a key of at most {MAX_KEY_BYTES} bytes")
    if button.get("type") == "view" and not button.get("url"):
        raise ValueError(f"{name}: a view button needs a url")
    if button.get("type") not in ("click", "view"):
        raise ValueError(f"{name}: type must be click or view")


load_menu()  # at import: see the module's docstring
