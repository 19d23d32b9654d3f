"""The router is a table built from the journeys' own declarations: which words, menu keys, events and
dialog steps lead to which journey. It prints itself as the help text (and, `str(ROUTER)`, for review);
bot/wechat/menu.py checks the menu against it.

Adding a journey is one module that declares `JOURNEY` and one line in `JOURNEYS`. The list is read in
order: it is the order of the help text, and two journeys claiming one word, menu key, event or dialog name
stop the import.
"""

import logging
import re

from handlers import (
    admin_bind,
    certificate,
    console_link,
    corrections,
    declare,
    general,
    hours,
    register,
    review,
    transfer,
    verify,
)
from handlers.access import Guard, let_in
from handlers.chat import Chat, Kind, Step
from handlers.journeys import Command, DeclarationError, Event, Journey, ShapeChanged
from handlers.refusals import No, Refusal
from handlers.replies import Reply, Text, restored, stored
from storage.dialogs import Dialog
from storage.ids import normalise
from storage.processed import exactly_once, stored_reply

log = logging.getLogger(__name__)

# A menu button pressed in the middle of a dialog: the dialog is kept under this name until the user answers.
SWITCHING = "switching"
SWITCH_QUESTION = (
    "您正在办理「{current}」，要放弃并开始「{new}」吗？\n"
    "回复“是”放弃并开始「{new}」；回复其他内容则继续办理「{current}」。"
)
YES = {"是", "是的", "确认", "确定", "好", "好的", "放弃"}
NO = {"否", "不", "不要", "不用", "继续"}

# What follows a command word: a number first ("12，13", "12 理由"), its digits, spaces and commas maybe full-width.
_LEADING_NUMBERS = re.compile(r"^[\s0-9０-９,，、;；#＃]*(?:(?<=[0-9０-９])[XxＸｘ](?=$|[\s,，、;；]))?")
# A word run together with a number: "证书2025", "通过14，15", "驳回12 理由", "验证41010519491231002X".
_WORD_THEN_NUMBER = re.compile(r"^(\D+?)[#＃]?([0-9０-９]+[XxＸｘ]?(?:[\s,，、;；].*)?)$", re.S)
# The same, for a command whose number is followed by a reason: "作废12重复录入", "驳回12证明不清晰".
_WORD_NUMBER_REASON = re.compile(r"^(\D+?)[#＃]?([0-9０-９]+)(\D.*)$", re.S)
_HALF_WIDTH = str.maketrans("０１２３４５６７８９，、；＃　ｘＸx", "0123456789,,;# XXX")


def _arguments(text: str) -> str:
    """What followed a command word, its leading numbers in plain digits separated by spaces; the rest (a
    rejection's reason) exactly as typed."""
    numbers = _LEADING_NUMBERS.match(text)[0]
    plain = numbers.translate(_HALF_WIDTH).replace(",", " ").replace(";", " ").replace("#", " ")
    apart = " " if plain[-1:].isspace() else ""  # "7KQ2M9XD", an invite code, stays whole
    return (" ".join(plain.split()) + apart + text[len(numbers) :]).strip()


JOURNEYS: tuple[Journey, ...] = (
    register.JOURNEY,
    hours.JOURNEY,
    declare.JOURNEY,
    certificate.JOURNEY,
    verify.JOURNEY,
    general.JOURNEY,
    admin_bind.JOURNEY,
    review.JOURNEY,
    corrections.JOURNEY,
    transfer.JOURNEY,
    console_link.JOURNEY,
)


def _claim(table: dict, key: object, value: object, what: str) -> None:
    if key in table:
        raise DeclarationError(f"{what} {key!r} is claimed twice")
    table[key] = value


class Router:
    def __init__(self, journeys: tuple[Journey, ...]) -> None:
        self.journeys = journeys
        self.commands = [(command, journey) for journey in journeys for command in journey.commands]
        self._by_word: dict[str, tuple[Command, Journey]] = {}
        self._by_menu_key: dict[str, tuple[Command, Journey]] = {}
        self._dialogs: dict[str, Journey] = {}
        events: dict[tuple[Kind, str], tuple[Event, Journey]] = {}
        for command, journey in self.commands:
            for word in command.words:
                _claim(self._by_word, normalise(word), (command, journey), "the word")
            if command.menu_key:
                _claim(self._by_menu_key, command.menu_key, (command, journey), "the menu key")
        for journey in journeys:
            _claim(self._dialogs, journey.name, journey, "the journey name")
            for event in journey.events:
                for kind in event.kinds:
                    _claim(events, (kind, event.key_prefix), (event, journey), "the event")
        # The most specific key prefix first: an invite's scan before any other subscribe.
        self._events = sorted(events.items(), key=lambda item: -len(item[0][1]))

    def help_lines(self, admin: bool = False) -> list[tuple[str, str]]:
        return [
            (command.words[0], command.summary)
            for command, journey in self.commands
            if admin or journey.guard != Guard.ADMINS
        ]

    async def pending_question(self, chat: Chat) -> str | None:
        """The question the user's open dialog waits on, as its journey words it; None if none is known."""
        dialog = await chat.load_dialog()
        journey = self._dialogs.get(dialog.name) if dialog else None
        step = journey.step_named(dialog.step) if journey and dialog else None
        if journey is None or step is None:
            return None
        try:
            form = journey.read_form(dialog.data)
        except ShapeChanged:
            return None
        asking = Chat(chat.incoming, chat.config, form=form, journey=journey, step=step)
        return journey.question(step, asking)

    def menu_keys(self) -> set[str]:
        return set(self._by_menu_key)

    def __str__(self) -> str:
        lines = [
            f"{'/'.join(c.words)} [{c.menu_key or '-'}] → {j.name}.{c.handler.__name__} ({j.guard})"
            for c, j in self.commands
        ]
        lines += [
            f"{kind}{' ' + prefix if prefix else ''} → {j.name}.{e.handler.__name__}"
            for (kind, prefix), (e, j) in self._events
        ]
        lines += [f"dialog {j.name}: {', '.join(j.step_name(s) for s in j.steps)}" for j in self.journeys if j.steps]
        return "\n".join(lines)

    def command_for(self, text: str) -> tuple[Command, Journey, str] | None:
        """The command a text starts with, and what follows it: "通过 12 13" → (通过, review, "12 13"); also
        "通过　12，13" (full-width) and, for a command that takes a number, "通过12" with no space."""
        whole = normalise(text).rstrip("。.!！")
        if whole in self._by_word:
            return *self._by_word[whole], ""
        first, *rest = text.split(maxsplit=1) or [""]
        if found := self._by_word.get(normalise(first)):
            return *found, _arguments(rest[0] if rest else "")
        if (joined := _WORD_THEN_NUMBER.match(text.strip())) is not None:
            found = self._by_word.get(normalise(joined[1]))
            if found is not None and found[0].takes_number:
                return *found, _arguments(joined[2])
        if (joined := _WORD_NUMBER_REASON.match(text.strip())) is not None:
            found = self._by_word.get(normalise(joined[1]))
            if found is not None and found[0].then_reason:
                return *found, _arguments(joined[2] + " " + joined[3].strip())
        return None

    async def route(self, chat: Chat) -> Reply:
        """Pick the journey for this message. Commands and menu keys win over an open dialog, so a
        user can always ask for help or cancel; anything else continues the dialog, or gets help."""
        chat.help_lines = self.help_lines
        chat.pending_question = self.pending_question
        incoming = chat.incoming
        if incoming.kind == Kind.TEXT and (found := self.command_for(incoming.text)):
            command, journey, chat.args = found
            return await self._run(chat, journey, command.handler)
        if incoming.kind == Kind.CLICK:
            command, journey = self._by_menu_key.get(incoming.key, (None, general.JOURNEY))
            if command is not None and journey.steps and (dialog := await chat.load_dialog()) is not None:
                return await self._ask_to_switch(chat, dialog, command)
            return await self._run(chat, journey, command.handler if command else general.show_help)
        for (kind, prefix), (event, journey) in self._events:
            if incoming.kind == kind and incoming.key.startswith(prefix):
                return await self._run(chat, journey, event.handler)
        if (dialog := await chat.load_dialog()) is not None and dialog.name == SWITCHING:
            if incoming.kind == Kind.TEXT and normalise(incoming.text) in YES:
                await chat.finish()
                command, journey = self._by_menu_key[dialog.data["menu_key"]]
                return await self._run(chat, journey, command.handler)
            dialog = await chat.restore(Dialog(**dialog.data["dialog"]))
            if incoming.kind == Kind.TEXT and normalise(incoming.text) in NO:
                question = await self.pending_question(chat)
                return Text(general.CONTINUE + "\n" + question if question else general.IN_DIALOG)
            # anything else is taken as the answer to the old dialog's question
        if dialog is not None:
            journey = self._dialogs.get(dialog.name)
            step = journey.step_named(dialog.step) if journey else None
            if journey is not None and step is not None:
                try:
                    chat.form = journey.read_form(dialog.data)
                except ShapeChanged as changed:
                    log.warning("dialog of %s reset: %s", chat.openid, changed)
                    await chat.finish()
                    return Text(general.RESET + "\n\n" + general.help_text(self.help_lines()))
                return await self._run(chat, journey, step, is_step=True)
            await chat.finish()  # a dialog this version no longer knows: start afresh
        if incoming.kind == Kind.TEXT:
            # A retry of a message whose effect ended its dialog lands here: it gets the reply it got then.
            if incoming.message_key and (earlier := await stored_reply(incoming.message_key)) is not None:
                return restored(earlier)
            said = incoming.text.strip()[:20]
            return Text(general.NOT_UNDERSTOOD.format(text=said) + "\n\n" + general.help_text(self.help_lines()))
        if incoming.kind == Kind.SCAN:
            return await self._run(chat, general.JOURNEY, general.show_help)
        raise Refusal(No.UNSUPPORTED)

    async def _ask_to_switch(self, chat: Chat, dialog: Dialog, command: Command) -> Reply:
        """A menu button that starts a dialog, pressed in the middle of another: ask before dropping it."""
        if dialog.name == SWITCHING:  # pressed again while asked: the question stands, about the new button
            dialog = Dialog(**dialog.data["dialog"])
        current = self._dialogs.get(dialog.name)
        kept = {"name": dialog.name, "step": dialog.step, "data": dialog.data}
        await chat.restore(Dialog(SWITCHING, "answer", {"menu_key": command.menu_key, "dialog": kept}))
        doing = current.commands[0].words[0] if current and current.commands else "当前事项"
        return Text(SWITCH_QUESTION.format(current=doing, new=command.words[0]))

    async def _run(self, chat: Chat, journey: Journey, handler: Step, is_step: bool = False) -> Reply:
        async def run() -> Reply:
            await let_in(chat, journey.guard)
            chat.journey, chat.step = journey, handler if is_step else None
            return await handler(chat)

        # An answer within a dialog moves the dialog on: a retry of it (its first try's process died after the
        # move, before the reply) must not move it on again, taking the answer for the next question's.
        if (handler not in journey.effects and not is_step) or not chat.incoming.message_key:
            return await run()

        async def effect() -> dict:
            # A refusal is this message's answer too: what the step did before it (ending the dialog, say)
            # stands, what storage refused was rolled back by storage, and a retry is refused alike.
            try:
                return stored(await run())
            except Refusal as refusal:
                return stored(Text(refusal.message))

        return restored(await exactly_once(chat.incoming.message_key, effect, chat.now))


ROUTER = Router(JOURNEYS)
route = ROUTER.route
menu_keys = ROUTER.menu_keys
help_lines = ROUTER.help_lines
