"""How a journey declares itself: its commands, the events it answers, its dialog steps and their data.

    JOURNEY = Journey(
        name="register",                      # the name a stored dialog row carries
        commands=(Command(("注册", "登记"), "注册并获取证书管理号", start, menu_key="REGISTER"),),
        steps=(on_name, on_id_number, on_unit, on_unit_pick, on_confirm),
        state=RegisterForm,                   # a dataclass: what the dialog carries from step to step
        guard=Guard.ANYONE,                   # who may use its commands, events and steps
        effects=(on_confirm,),                # what writes lasting rows: once per message, even across a crash
    )

A step is a function of the chat; it moves on with `chat.goto(on_id_number, name=name)` (or `chat.goto_next()`
for steps shared by journeys in different orders). A stored row names the step by its function, "on_" left
off ("id_number"), so rows written before a change keep working as long as the function keeps its name;
a row whose step is gone starts afresh, and a row whose data no longer fits `state` is reset with a word to
the user (`ShapeChanged`).

What is checked, and when. A goto target is an expression evaluated at run time, so nothing in Python stops
`chat.goto(on_typo)` from importing. To make it fail at import anyway, declaring a Journey reads the source of
its commands, events and steps, and of the functions of the same module they call, and checks each
`.goto(X, ...)`: X must be the plain name of a function this journey declares as a step (anything else is
refused: a target computed at run time is what `goto_next` is for). At run time `chat.goto` checks again
and raises `UndeclaredStep` rather than dropping the move. The router, built from the list of journeys,
refuses two journeys claiming one word, menu key, event or dialog name; bot/wechat/menu.py refuses a menu
key no journey claims.
"""

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any

from handlers.access import Guard
from handlers.chat import Kind, Step

__all__ = ["Command", "DeclarationError", "Event", "Guard", "Journey", "NoData", "ShapeChanged"]


class DeclarationError(Exception):
    """A journey, or the list of journeys, declares something that cannot work. Raised at import."""


class ShapeChanged(ValueError):
    """A stored dialog's data does not fit the journey's `state` (a field renamed, removed or retyped)."""


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # the first is the one shown in help
    summary: str  # the help line
    handler: Step
    menu_key: str = ""  # the click key of a menu button (bot/wechat/menu.toml) that runs it
    # A number may follow the word with no space ("证书2025", "通过14"). Only a number: "证书管理实务" typed as a
    # course stays a course, and words whose commands take no number ("学时12") stay answers.
    takes_number: bool = False


@dataclass(frozen=True)
class Event:
    kinds: tuple[Kind, ...]
    handler: Step
    key_prefix: str = ""  # only events whose key starts so, as the admin-invite QR's "admin:<code>"


@dataclass(frozen=True)
class NoData:
    """The state of a journey that carries nothing between steps."""


@dataclass(frozen=True, eq=False)
class Journey:
    name: str
    commands: tuple[Command, ...] = ()
    events: tuple[Event, ...] = ()
    steps: tuple[Step, ...] = ()
    state: type = NoData
    guard: Guard = Guard.ANYONE
    # Commands and steps with a lasting effect (a row written): each runs in one transaction with the record
    # that its message was processed and the reply it got, so a retry after a crash has no second effect.
    effects: tuple[Step, ...] = ()
    # The question each step waits for an answer to, asked again after 帮助 in the middle of the dialog.
    asks: Callable[[Step, Any], str | None] | None = None

    def __post_init__(self) -> None:
        if not is_dataclass(self.state):
            raise DeclarationError(f"{self.name}: state must be a dataclass")
        required = [f.name for f in fields(self.state) if f.default is MISSING and f.default_factory is MISSING]
        if required:
            raise DeclarationError(
                f"{self.name}: state fields {required} need defaults (a dialog fills them step by step)"
            )
        stray = [f.__name__ for f in self.effects if f not in self._functions()]
        if stray:
            raise DeclarationError(f"{self.name}: effects {stray} are neither its commands nor its steps")
        names = [self.step_name(step) for step in self.steps]
        if len(set(names)) != len(names):
            raise DeclarationError(f"{self.name}: two steps share a name in {names}")
        self._check_gotos()

    def question(self, step: Step, chat: Any) -> str | None:
        """What `step` asked the user, to ask again; None where the journey does not say."""
        return self.asks(step, chat) if self.asks is not None else None

    def step_name(self, step: Step) -> str:
        return step.__name__.removeprefix("on_")

    def step_named(self, name: str) -> Step | None:
        return next((step for step in self.steps if self.step_name(step) == name), None)

    def read_form(self, data: Any) -> Any:
        """The stored data as the journey's state; a key it does not know, or a value of the wrong type, is
        ShapeChanged. Fields missing from the row take their defaults (a dialog fills them step by step)."""
        if not isinstance(data, dict):
            raise ShapeChanged(f"{self.name}: stored data is {type(data).__name__}, not an object")
        hints = typing.get_type_hints(self.state)
        for key, value in data.items():
            if key not in hints:
                raise ShapeChanged(f"{self.name}: stored data has {key!r}, which {self.state.__name__} lacks")
            if not _fits(value, hints[key]):
                raise ShapeChanged(f"{self.name}: stored {key!r} is {value!r}, not {hints[key]}")
        return self.state(**data)

    def check_form(self, form: Any) -> None:
        """What a step is about to store has the declared types: a slip here is the code's, found at once."""
        if not isinstance(form, self.state):
            raise TypeError(f"{self.name}: {form!r} is not a {self.state.__name__}")
        hints = typing.get_type_hints(self.state)
        for f in fields(form):
            if not _fits(getattr(form, f.name), hints[f.name]):
                raise TypeError(f"{self.name}: {f.name}={getattr(form, f.name)!r} is not {hints[f.name]}")

    def _functions(self) -> list[Step]:
        return [c.handler for c in self.commands] + [e.handler for e in self.events] + list(self.steps)

    def _check_gotos(self) -> None:
        """Read the journey's functions, and the functions of their own module they call, for `.goto(X, ...)`."""
        seen: set[Any] = set()
        todo: list[Any] = self._functions()
        while todo:
            function = todo.pop()
            if function in seen or not inspect.isfunction(function):
                continue
            seen.add(function)
            names = function.__globals__
            for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
                if not isinstance(node, ast.Call):
                    continue
                if isinstance(node.func, ast.Name):
                    called = names.get(node.func.id)
                    if inspect.isfunction(called) and called.__module__ == function.__module__:
                        todo.append(called)
                elif isinstance(node.func, ast.Attribute) and node.func.attr in ("goto", "goto_next"):
                    line = function.__code__.co_firstlineno + node.lineno - 1
                    where = f"{function.__module__} line {line}"
                    if node.func.attr == "goto":
                        self._check_goto(node, names, where)
                    elif self.steps and function is self.steps[-1]:
                        raise DeclarationError(f"{where}: goto_next from the last step of {self.name!r}")

    def _check_goto(self, call: ast.Call, names: dict[str, Any], where: str) -> None:
        if not call.args or not isinstance(call.args[0], ast.Name):
            raise DeclarationError(f"{where}: goto takes a step function by name (use goto_next for others)")
        name = call.args[0].id
        if names.get(name) not in self.steps:
            raise DeclarationError(f"{where}: goto({name}) is not a step the journey {self.name!r} declares")


def _fits(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, arg) for arg in args)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        return isinstance(value, list) and all(_fits(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(_fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items())
    return isinstance(value, hint)
