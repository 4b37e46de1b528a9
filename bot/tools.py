"""The two tools as step-by-step flows: ``/rate`` (the real annual rate of a loan) and ``/complaint`` (two
complaint letters), on Telegram (inline buttons) and in the console (numbered choices).

The flows themselves (:class:`RateFlow`, :class:`ComplaintFlow`) are plain objects with no Telegram in
them: ``start``, ``press(action)`` and ``typed(text)`` each return the next :class:`Step` (a text, rows
of (label, action) buttons, whether the flow is done). :class:`FlowStore` keeps one flow per chat in
memory with an expiry; nothing of a flow is written to the database or logged above DEBUG (the figures
and the letters are the borrower's business).

A typed message goes to the chat's flow only while the flow waits for one. Words of despair, a command or
what reads as a question (four or more Chinese characters that are no answer) leave the flow, and the
message gets the normal answer: crisis help is never held up by a form.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.log import log_update
from bot.service import localize, script_of
from faq import apr
from faq.complaint import (
    ComplaintError,
    ComplaintRequest,
    Templates,
    clean_platform,
    parse_since,
    write_letters,
)

if TYPE_CHECKING:
    from bot.handlers import Handlers
    from faq.engine import Engine

FLOW_TTL = 30 * 60  # seconds a flow waits for the next answer
MAX_FLOWS = 10_000
CALLBACK_PREFIX = "t:"
CANCEL = "x"
CANCEL_LABEL = "✖ 取消"
CANCELLED = "已取消。需要时再发 /rate 或 /complaint。"
STALE = "这个表单已经过期了,请重新发送命令。"
PRIVATE_ONLY = "为了保护你的隐私,请私聊我使用这个功能。"

Button = tuple[str, str]  # (label, action)


@dataclass
class Step:
    """What to show next."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    done: bool = False
    edit: bool = False  # only the buttons changed (a toggle): edit the last message when possible
    letters: tuple[str, ...] = ()  # messages of their own after ``text`` (the complaint letters)
    apr: float | None = None


class Flow(Protocol):
    name: str

    def start(self, args: str) -> Step: ...

    def press(self, action: str) -> Step | None: ...

    def typed(self, text: str) -> Step | None: ...


_QUESTION = re.compile(r"[吗嗎么麼?？]|会不会|會不會|能不能|是不是|怎样|怎樣|咋")


def _looks_like_question(text: str) -> bool:
    """A message that reads as a question of its own rather than an answer to the form."""
    return bool(_QUESTION.search(text)) or len(re.findall(r"[\u3400-\u9fff]", text)) >= 4


def _cancel_row() -> list[Button]:
    return [(CANCEL_LABEL, CANCEL)]


# ------------------------------------------------------------------------------------------------ /rate

RATE_INTRO = (
    "我来帮你算借款的真实年化利率(按实际到手的钱算)。可以一句话写完,比如:借5000 到手4500 分12期 每期还500。"
)
RATE_QUESTIONS = {
    "received": "实际到手多少钱?请输入数字,例如 4500(到你卡里的钱;只知道合同金额的,可以写“借5000 扣了500”)",
    "schedule": "怎么还?",
    "instalments": "一共分几期?点按钮或输入数字",
    "instalment": "每期还多少钱?请输入数字,例如 500",
    "term_days": "借多久后还?点按钮,或输入天数,例如 10天",
    "repayment": "到期一共还多少钱?请输入数字,例如 3000",
}
RATE_RETRY = "没看懂这个数字,请再输入一次。"


class RateFlow:
    name = "rate"

    def __init__(self, texts: apr.RateTexts) -> None:
        self.texts = texts
        self.figures = apr.LoanFigures()
        self.plan: str | None = None  # "instalments" or "single", once chosen with the buttons
        self.awaiting: str | None = None

    def start(self, args: str) -> Step:
        if args.strip():
            self.figures = apr.parse_loan(args)
            return self._next()
        return self._next(RATE_INTRO)

    def _next(self, intro: str = "") -> Step:
        result = apr.annual_rate(self.figures)
        if isinstance(result, apr.Rate):
            return Step(apr.explain(result, self.texts), done=True, apr=round(result.percent, 1))
        key = result.needed[0]
        if key == "schedule" and self.plan is not None:
            key = "instalments" if self.plan == "instalments" else "term_days"
        self.awaiting = key
        question = RATE_QUESTIONS[key]
        return Step(f"{intro}\n\n{question}" if intro else question, self._buttons(key))

    @staticmethod
    def _buttons(key: str) -> list[list[Button]]:
        rows: list[list[Button]] = []
        if key == "schedule":
            rows = [[("分期还", "p:i"), ("到期一次还清", "p:s")]]
        elif key == "instalments":
            rows = [[(f"{n}期", f"n:{n}") for n in (3, 6, 12, 24)]]
        elif key == "term_days":
            rows = [[("7天", "d:7"), ("14天", "d:14"), ("一个月", "d:30"), ("三个月", "d:90")]]
        return [*rows, _cancel_row()]

    def press(self, action: str) -> Step | None:
        kind, _, value = action.partition(":")
        if kind == "p" and value in ("i", "s"):
            self.plan = "instalments" if value == "i" else "single"
            return self._next()
        if kind == "n" and value.isdigit() and 1 <= int(value) <= apr.MAX_INSTALMENTS:
            self.figures = replace_field(self.figures, instalments=int(value))
            return self._next()
        if kind == "d" and value.isdigit() and 1 <= int(value) <= apr.MAX_TERM_DAYS:
            self.figures = replace_field(self.figures, term_days=int(value))
            return self._next()
        return None

    def typed(self, text: str) -> Step | None:
        found = apr.parse_loan(text)
        if not found.empty:
            self.figures = self.figures.merged(found)
            return self._next()
        answer = self._answer(text)
        if answer is None:
            if _looks_like_question(text):
                return None
            key = self.awaiting or "received"
            return Step(f"{RATE_RETRY}\n{RATE_QUESTIONS[key]}", self._buttons(key))
        name, value = answer
        self.figures = replace_field(self.figures, **{name: value})
        return self._next()

    def _answer(self, text: str) -> tuple[str, Any] | None:
        """The figure a short typed answer gives: "4500", "10天", "一个月", "12" (for the awaited one)."""
        clean = re.sub(r"\s|元|块钱?|人民币", "", text)
        key = self.awaiting or ""
        if key == "schedule":
            key = {"instalments": "instalments", "single": "term_days"}.get(self.plan or "", "")
        days = apr.parse_term(clean)
        if days is not None and key in ("term_days", ""):
            return "term_days", days
        number = apr.parse_amount(clean.removesuffix("天") if key == "term_days" else clean)
        if not key or number is None or number <= 0:
            return None
        if key in ("term_days", "instalments"):
            limit = apr.MAX_TERM_DAYS if key == "term_days" else apr.MAX_INSTALMENTS
            return (key, int(number)) if number == int(number) and number <= limit else None
        return (key, number) if number <= apr.MAX_AMOUNT else None


def replace_field(figures: apr.LoanFigures, **changes: Any) -> apr.LoanFigures:
    return figures.merged(apr.LoanFigures(**changes))


# ------------------------------------------------------------------------------------------- /complaint

COMPLAINT_INTRO = "我来帮你写投诉信(一封给平台,一封给监管部门)。你填的内容只用来生成信件,不会保存。"
ASK_PLATFORM = "是哪个平台或APP?请输入名字。"
ASK_SINCE = "从什么时候开始的?点按钮,或输入日期,例如 2026-10-01。"
ASK_ISSUES = "发生了什么?可以多选,选好后点“完成”。"
ASK_REQUESTS = (
    "你希望对方做什么?已按你选的问题勾好,可以修改;也可以直接输入你自己的要求。选好后点“生成投诉信”。"
)
PICK_ONE = "请至少选一项。"
ADDED_OWN = "已加上你的要求:"
LETTERS_READY = (
    "投诉信写好了,下面两封:第一封给平台,第二封给监管部门。复制后把【】里的内容换成你自己的,只写真实发生的事。"
)
SINCE_BUTTONS = (("今天", 0), ("一周前", 7), ("一个月前", 30), ("三个月前", 90))
MAX_OWN_REQUESTS = 3


class ComplaintFlow:
    name = "complaint"

    def __init__(self, templates: Templates, today: Callable[[], dt.date] = dt.date.today) -> None:
        self.templates = templates
        self.today = today
        self.platform: str | None = None
        self.since: dt.date | None = None
        self.issues: list[str] = []
        self.requests: list[str] = []  # request keys, then the borrower's own sentences
        self.stage = "platform"
        self._issue_keys = list(templates.issues)
        self._request_keys = list(templates.requests)

    def start(self, args: str) -> Step:
        if args.strip():
            try:
                self.platform = clean_platform(args)
            except ComplaintError:
                pass
            else:
                return self._ask_since(COMPLAINT_INTRO)
        return Step(f"{COMPLAINT_INTRO}\n\n{ASK_PLATFORM}", [_cancel_row()])

    def _ask_since(self, intro: str = "") -> Step:
        self.stage = "since"
        rows = [[(label, f"s:{days}") for label, days in SINCE_BUTTONS], _cancel_row()]
        return Step(f"{intro}\n\n{ASK_SINCE}" if intro else ASK_SINCE, rows)

    def _ask_issues(self, note: str = "", edit: bool = False) -> Step:
        self.stage = "issues"
        rows = [
            [(("✅ " if key in self.issues else "") + self.templates.issues[key].label, f"i:{n}")]
            for n, key in enumerate(self._issue_keys)
        ]
        rows.append([("完成 ➡", "i:ok"), (CANCEL_LABEL, CANCEL)])
        return Step(f"{note}\n{ASK_ISSUES}" if note else ASK_ISSUES, rows, edit=edit)

    def _ask_requests(self, note: str = "", edit: bool = False) -> Step:
        self.stage = "requests"
        rows = [
            [(("✅ " if key in self.requests else "") + self.templates.requests[key].rstrip("。"), f"r:{n}")]
            for n, key in enumerate(self._request_keys)
        ]
        rows.append([("生成投诉信 ➡", "r:ok"), (CANCEL_LABEL, CANCEL)])
        return Step(f"{note}\n{ASK_REQUESTS}" if note else ASK_REQUESTS, rows, edit=edit)

    def press(self, action: str) -> Step | None:
        kind, _, value = action.partition(":")
        if kind == "s" and self.stage == "since" and value.isdigit():
            self.since = self.today() - dt.timedelta(days=int(value))
            return self._ask_issues()
        if kind == "i" and self.stage == "issues":
            if value == "ok":
                if not self.issues:
                    return self._ask_issues(PICK_ONE)
                self.requests = [k for i in self.issues for k in self.templates.issues[i].requests]
                self.requests = list(dict.fromkeys(self.requests))
                return self._ask_requests()
            if value.isdigit() and int(value) < len(self._issue_keys):
                _toggle(self.issues, self._issue_keys[int(value)])
                return self._ask_issues(edit=True)
        if kind == "r" and self.stage == "requests":
            if value == "ok":
                return self._letters()
            if value.isdigit() and int(value) < len(self._request_keys):
                _toggle(self.requests, self._request_keys[int(value)])
                return self._ask_requests(edit=True)
        return None

    def typed(self, text: str) -> Step | None:
        if self.stage == "platform":
            if len(text.strip()) > 40 or _QUESTION.search(text):
                return None
            try:
                self.platform = clean_platform(text)
            except ComplaintError as exc:
                return Step(f"{exc}\n{ASK_PLATFORM}", [_cancel_row()])
            return self._ask_since()
        if self.stage == "since":
            try:
                self.since = parse_since(_iso_date(text), self.today())
            except ComplaintError as exc:
                if _looks_like_question(text) and not re.search(r"\d", text):
                    return None
                return Step(f"{exc}\n{ASK_SINCE}", self._ask_since().buttons)
            return self._ask_issues()
        if self.stage == "requests":
            own = " ".join(text.split())[:300]
            if not re.search(r"[^\W\d_]", own):  # digits and signs only: no request (a mistyped number)
                return self._ask_requests("请点按钮选择,或写下你自己的要求。")
            if own and sum(1 for r in self.requests if r not in self.templates.requests) < MAX_OWN_REQUESTS:
                self.requests.append(own)
            return self._ask_requests(f"{ADDED_OWN}{own}")
        if _looks_like_question(text):
            return None
        return self._ask_issues("请点上面的按钮选择。")

    def _letters(self) -> Step:
        assert self.platform is not None and self.since is not None
        request = ComplaintRequest(self.platform, self.since, tuple(self.issues), tuple(self.requests))
        lender, regulator = write_letters(request, self.templates, self.today())
        return Step(LETTERS_READY, done=True, letters=(lender, regulator, self.templates.footer))


def _toggle(items: list[str], key: str) -> None:
    if key in items:
        items.remove(key)
    else:
        items.append(key)


def _iso_date(text: str) -> str:
    """``2026年10月1日``, ``2026/10/1``, ``2026.10.1`` -> ``2026-10-1`` (parse_since checks the rest)."""
    value = text.strip()
    m = re.fullmatch(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*[日号]?", value)
    return f"{m[1]}-{m[2]}-{m[3]}" if m else value


# ---------------------------------------------------------------------------------------------- the store


@dataclass
class Active:
    flow: Flow
    id: str  # in the callback data: a press on an older form of the same chat is stale
    traditional: bool
    expires: float


class FlowStore:
    """One flow per chat, in memory only, forgotten after ``ttl`` seconds without an answer."""

    def __init__(
        self, ttl: float = FLOW_TTL, size: int = MAX_FLOWS, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._flows: OrderedDict[Any, Active] = OrderedDict()

    def begin(self, key: Any, flow: Flow, traditional: bool) -> Active:
        active = Active(flow, secrets.token_hex(3), traditional, self.clock() + self.ttl)
        self._flows[key] = active
        self._flows.move_to_end(key)
        while len(self._flows) > self.size:
            self._flows.popitem(last=False)
        return active

    def get(self, key: Any) -> Active | None:
        active = self._flows.get(key)
        if active is None:
            return None
        if active.expires < self.clock():
            del self._flows[key]
            return None
        active.expires = self.clock() + self.ttl
        return active

    def end(self, key: Any) -> None:
        self._flows.pop(key, None)

    def __len__(self) -> int:
        return len(self._flows)


def advance(store: FlowStore, key: Any, step: Step) -> Step:
    """Forget a finished flow."""
    if step.done:
        store.end(key)
    return step


# --------------------------------------------------------------------------------------------- Telegram


def markup(step: Step, flow_id: str, traditional: bool) -> InlineKeyboardMarkup | None:
    if not step.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    localize(label, traditional), callback_data=f"{CALLBACK_PREFIX}{flow_id}:{action}"
                )
                for label, action in row
            ]
            for row in step.buttons
        ]
    )


class ToolHandlers:
    """The Telegram side of the flows; registered before the question handlers (group -1)."""

    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers
        self.flows = FlowStore()

    async def rate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        flow = RateFlow(self.handlers.assistant.engine.rates)
        await self._start(update, context, flow)

    async def complaint(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._start(update, context, ComplaintFlow(self.handlers.assistant.engine.complaints))

    async def _start(self, update: Update, context: ContextTypes.DEFAULT_TYPE, flow: Flow) -> None:
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not await self.handlers._allowed(update, context):
            raise ApplicationHandlerStop
        args = " ".join(context.args or [])
        trad = self.handlers._traditional(update, args or None)
        if chat.type != ChatType.PRIVATE:
            await self.handlers._send_chunks(
                message, self.handlers._text_chunks(localize(PRIVATE_ONLY, trad))
            )
            raise ApplicationHandlerStop
        active = self.flows.begin(chat.id, flow, trad)
        step = advance(self.flows, chat.id, flow.start(args))
        await self._show(context, chat.id, active, step)
        log_update(
            type="message", id=update.update_id, chat=chat.type, kind="tool", flow=flow.name, done=step.done
        )
        raise ApplicationHandlerStop

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or not (query.data or "").startswith(CALLBACK_PREFIX):
            return
        if not await self.handlers._allowed(update, context):
            raise ApplicationHandlerStop
        chat = query.message.chat if query.message is not None else None
        flow_id, _, action = (query.data or "")[len(CALLBACK_PREFIX) :].partition(":")
        active = self.flows.get(chat.id) if chat is not None else None
        if chat is None or active is None or active.id != flow_id:
            await query.answer(localize(STALE, self.handlers._traditional(update)))
            log_update(type="callback_query", id=update.update_id, kind="tool_stale")
            raise ApplicationHandlerStop
        if action == CANCEL:
            self.flows.end(chat.id)
            await query.answer()
            await self._show(context, chat.id, active, Step(CANCELLED, done=True))
            raise ApplicationHandlerStop
        step = active.flow.press(action)
        if step is None:
            await query.answer()
            raise ApplicationHandlerStop
        await query.answer()
        step = advance(self.flows, chat.id, step)
        edited = False
        if step.edit and query.message is not None:
            try:
                await query.edit_message_reply_markup(markup(step, active.id, active.traditional))
                edited = True
            except TelegramError:
                edited = False
        if not edited:
            await self._show(context, chat.id, active, step)
        log_update(
            type="callback_query", id=update.update_id, kind="tool", flow=active.flow.name, done=step.done
        )
        raise ApplicationHandlerStop

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed answer to the chat's flow; anything else goes on to the question handlers."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        active = self.flows.get(chat.id)
        if active is None:
            return
        text = message.text or ""
        if self.handlers.assistant.is_crisis(text):
            self.flows.end(chat.id)
            return  # crisis help first: the question handler answers it
        if not await self.handlers._allowed(update, context, text):
            raise ApplicationHandlerStop
        seen = script_of(text)
        if seen is not None:
            active.traditional = seen
        step = active.flow.typed(text)
        if step is None:
            self.flows.end(chat.id)
            return  # a question, not an answer: it gets the normal reply
        step = advance(self.flows, chat.id, step)
        await self._show(context, chat.id, active, step)
        log_update(
            type="message",
            id=update.update_id,
            chat=chat.type,
            kind="tool",
            flow=active.flow.name,
            done=step.done,
        )
        raise ApplicationHandlerStop

    async def other_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any other command closes the chat's form (and is then handled as usual)."""
        if update.effective_chat is not None:
            self.flows.end(update.effective_chat.id)

    async def _show(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, active: Active, step: Step
    ) -> None:
        trad = active.traditional
        chunks = self.handlers._text_chunks(localize(step.text, trad), markup(step, active.id, trad))
        for letter in step.letters:
            chunks += self.handlers._text_chunks(localize(letter, trad))
        await self.handlers._send_to_chat(context.bot, chat_id, chunks)


def register_tools(application: Any, handlers: Handlers) -> ToolHandlers:
    """Add the /rate and /complaint handlers in group -1, ahead of the question handlers."""
    tools = ToolHandlers(handlers)
    messages = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    application.add_handler(CommandHandler("rate", tools.rate, filters=messages), group=-1)
    application.add_handler(CommandHandler("complaint", tools.complaint, filters=messages), group=-1)
    application.add_handler(CallbackQueryHandler(tools.button, pattern=f"^{CALLBACK_PREFIX}"), group=-1)
    application.add_handler(MessageHandler(messages & filters.TEXT & ~filters.COMMAND, tools.text), group=-1)
    application.add_handler(MessageHandler(messages & filters.COMMAND, tools.other_command), group=-1)
    return tools


# ---------------------------------------------------------------------------------------------- console

CONSOLE_HINT = "(输入编号选择;多选可以一次输入几个编号,如 1 3)"
_NUMBERS = re.compile(r"\d+(?:[\s,,、]+\d+)*")


class ConsoleTools:
    """The flows in the console chat: buttons become numbered choices; typing numbers presses them."""

    def __init__(
        self, say: Callable[[str], None], engine: Callable[[], Engine], is_crisis: Callable[[str], bool]
    ) -> None:
        self.say = say
        self.engine = engine  # the current one (a /reload replaces it)
        self.is_crisis = is_crisis
        self.flow: Flow | None = None
        self.choices: list[Button] = []
        self.traditional = False

    def command(self, name: str, args: str, traditional: bool) -> bool:
        """``/rate`` or ``/complaint``: start the flow (True); any other command: False."""
        if name not in ("/rate", "/complaint"):
            return False
        self.traditional = traditional
        engine = self.engine()
        self.flow = RateFlow(engine.rates) if name == "/rate" else ComplaintFlow(engine.complaints)
        self._show(self.flow.start(args))
        return True

    def handle(self, text: str, traditional: bool) -> bool:
        """A line while a flow is open: True when the flow took it."""
        if self.flow is None:
            return False
        if text.startswith("/"):
            self.flow = None  # another command closes the form
            self.choices = []
            return False
        if self.is_crisis(text):
            self.flow = None
            return False
        self.traditional = traditional
        numbers = [int(n) for n in re.findall(r"\d+", text)] if _NUMBERS.fullmatch(text) else []
        if numbers and self.choices and all(1 <= n <= len(self.choices) for n in numbers):
            for number in numbers:
                if self.flow is None or not 1 <= number <= len(self.choices):
                    break
                self._press(self.choices[number - 1][1])
            return True
        step = self.flow.typed(text)
        if step is None:
            self.flow = None
            return False
        self._show(step)
        return True

    def _press(self, action: str) -> None:
        assert self.flow is not None
        if action == CANCEL:
            self._show(Step(CANCELLED, done=True))
            return
        step = self.flow.press(action)
        if step is not None:
            self._show(step)

    def _show(self, step: Step) -> None:
        trad = self.traditional
        self.choices = [button for row in step.buttons for button in row]
        lines = [localize(step.text, trad)]
        if self.choices:
            lines += [f"{n}. {localize(label, trad)}" for n, (label, _) in enumerate(self.choices, start=1)]
            lines.append(localize(CONSOLE_HINT, trad))
        self.say("\n".join(lines))
        for letter in step.letters:
            self.say(localize(letter, trad))
        if step.done:
            self.flow = None
            self.choices = []
