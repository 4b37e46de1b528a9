"""How a message asks: where its questions end, which parts ask something, and what a collector is reported
to have said. Pure functions over normalised text (Simplified, punctuation as spaces), read by the matcher's
decisions (two questions, a story then a question, reported speech) and the engine."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from faq import regexes

#: What ends a question: the message is cut after these (and at spaces, punctuation once normalised).
QUESTION_END = ("吗", "呢", "么", "嘛", "㗎", "?", "?")


#: A part of a message asks something when it has a question particle or a question word.
#: Cantonese asks with A-唔-A (会唔会, 合唔合法, 使唔使), 系咪, 点样 / 点算 / 可以点 / 点 + a verb (点投诉; not the 点
#: of 网点 or 早点), 咩, 边度 / 边个, and 系点 / 会点 closing a part (流程系点: what is it like; 之后会点: what happens).
#: (Not 点解, why: "网点解冻" has it, and so does a child's question told.)
CANTONESE_ASKS = (
    r"|(.)唔\1|系咪|点样|点算|点办|可以点|(?<![网一两三重差早快慢多少有焦地])点(?:做|投诉|处理|告|搞|应对|申请)|咩|边度|边个"
    r"|(?:系|会)点(?=$|\s|㗎|嘅|啊|呀|呢)"
)

#: Asking without a particle: A-不-A (合不合法, 行不行), 是否, a verb then 不 at the end ("还能投诉不", "会上征信不"),
#: 真的假的, a tag question about what was just told ("这违法吧", "这算恐吓吧", "那不是高利贷吧", "他们这么说是违法
#: 的吧": a judgement of legality with 吧 after it asks, whoever opens it; not "这样吧",
#: let's do this), a guess of what someone or something is, asked for confirmation ("应该是中介吧", "对方就是个托吧"),
#: a worried guess asked for confirmation ("他们不会真的上门吧", "不然会天天去烦我爸吧"), and 还是
#: opening the other half of a choice ("还是我自己能跟银行谈", "还是只能跟平台协商"; not the 还是 of "还是还不上",
#: still, nor 还是说, which says the same question again in other words).
PLAIN_ASKS = (
    r"|(.)不\2|(?:能|会|可以|要|是|有|行|算|用)\S{0,8}不$|真的假的|是真是假|是否"
    r"|^还是(?:我|先|直接|应该|要|得|可以|能|只能|自己|去|找)"
    r"|^(?:那|这)(?:样|种|个|么做)?(?:也|都|还)?(?:算|是|属于|不是|违法|违规|犯法|合法|不合法|过分)\S{0,6}吧$"
    r"|^(?:他们|对方|人家)?(?:应该|肯定|怕不)?(?:是|就是)(?:个|一个)?\S{1,4}吧$"
    r"|(?:不会|不至于|会)\S{0,12}吧$"
    r"|(?:违法|违规|犯法|合法|过分|恐吓|骚扰)(?:的|了)?吧$"
)


#: A question word used indefinitely, "any" or "no" with 都 / 也 after it ("干什么都没心思", "怎么都还不上", "谁都
#: 不想见", "啥也不想干"): a statement, not a question (a 为什么 before 都 still asks why; the 么 of 怎么 or 什么
#: is no particle of its own).
_INDEFINITE = r"(?![都也])"

ASKS = regexes.lazy(
    r"[吗呢嘛?]|(?<![怎什那这多要])么|会不会|能不能|可不可以|是不是|有没有|要不要|算不算|为什么|多久|多少|几|如何|怎样"
    rf"|(?:怎么|什么|啥|咋|哪儿|哪|谁){_INDEFINITE}"
    + CANTONESE_ASKS
    + PLAIN_ASKS
)


#: A question about what the story just told ("这样合法吗", "他们这么说是违法的吧", "咁样算唔算骚扰", "可以咁做咩":
#: Cantonese 咁做/噉做 is "do so"); not a degree ("利息这么高合法吗", "那么多"), which says how much, not what.
REFERS_BACK = regexes.lazy(
    r"[这這那][样樣种種些]|[这這那][么麼](?![高多贵貴大狠少久长長快重凶])|咁样|咁樣|[咁噉]做|呢啲|[这這]是|[这這][属屬算]"
)


#: A condition on what the story told, opening a question of its own ("他们真这么搞了 我能要求赔偿吗", "如果真这样做了
#: 我可以告他们吗", "佢哋真系咁做嘅话"): the question after it asks its own topic, not about the story.
_CONDITION_ON_STORY = regexes.lazy(
    r"^(?:如果|要是|万一|假如|若)?\S{0,4}?(?:要|真|真的|真系|敢|再)*(?:这么|这样|咁样?|噉)(?:做|干|搞|弄|整)?"
    r"(?:了|咗|的话|嘅话)\s*"
)


def refers_back(part: str) -> bool:
    """Whether a part asks about the story told before it ("这样合法吗", REFERS_BACK), not counting a condition
    on the story that opens a question of its own ("他们真这么搞了 我能要求赔偿吗")."""
    condition = _CONDITION_ON_STORY.match(part)
    if condition is not None and asks_something(part[condition.end() :]):
        part = part[condition.end() :]
    return bool(REFERS_BACK.search(part))


#: What ends a question for certain (a part ending so is a question, not a statement with 怎么 in it).
PARTICLES = frozenset("吗呢嘛咩??")


#: Asking plainly: a question particle or a question phrase (a bare 几 or 哪 may be a statement's
#: "借了几个口子"; how long, as 多久 or 多少天 / 多长时间 / Cantonese 几耐, asks).
ASKS_PLAINLY = regexes.lazy(
    r"[吗呢嘛?]|(?<![怎什那这多要])么|会不会|能不能|可不可以|是不是|有没有|要不要|算不算|为什么|怎样|多久|如何|哪家|找谁"
    r"|多少天|多长时间|多少个月|几耐"
    rf"|(?:怎么|什么|啥|咋|哪个|哪里){_INDEFINITE}"
    + CANTONESE_ASKS
    + PLAIN_ASKS
)


#: A part of a message closed by a question mark, as written (before normalisation turns the mark into a space),
#: from the last space or punctuation before it.
_MARKED_PART = regexes.lazy(r"[^?？。，,.!！;；\s]+[?？]")


#: A terse question: a part of at most this many characters ("坐牢?", "上征信?").
TERSE_CHARS = 6


def question_marks_as_particles(raw: str, normalize: Callable[[str], str]) -> str:
    """``raw`` with 吗 put before the question marks of a run of terse questions ("要赔钱?拉黑名单?": two or more
    short parts, each asked by its mark alone), so that each still asks once normalisation drops the mark. A
    part that asks in words already ("会坐牢吗?"), a longer one (a choice told in a sentence) or a lone mark
    is left as it is. 吗 is a stop word: the words matched stay the same."""
    if raw.count("?") + raw.count("？") < 2:
        return raw
    parts = _MARKED_PART.findall(raw)
    terse = [p for p in parts if len(p) - 1 <= TERSE_CHARS]
    if len(terse) < 2:
        return raw

    def mark(found: re.Match[str]) -> str:
        part = found.group()
        words = normalize(part[:-1]).strip()
        if part not in terse or not words or ends_a_question(words):
            return part
        return part[:-1] + "吗" + part[-1]

    return _MARKED_PART.sub(mark, raw)


def asks_something(normalized: str) -> bool:
    """Whether a message (or part) asks anything: a question particle or a question word (a bare noun such as
    "负债" or a statement asks nothing)."""
    return bool(ASKS.search(normalized))


#: 么 that ends a word, not a question: 怎么, 什么, 那么, 这么, 多么, 要么, 为什么, 干么.
MO_IN_A_WORD = frozenset("怎什那这多要为干")


#: What opens a question glued to one asked the same way: A-不-A or A-唔-A ("...会不会上征信会不会打给我爸妈",
#: "會唔會坐監㗎會唔會搵我屋企人"), 有没有, 系咪 (not an 有没有 that a 怎么查 asks about).
GLUED_OPENER = regexes.lazy(r"(.)[不唔]\1|有没有|系咪")


#: Where a part may end (after a question particle or at a space) and where a glued question may open (every
#: position at which GLUED_OPENER matches, overlapping ones too): split_questions visits only these places. A
#: space between two words in Latin letters is no pause ("会留在credit file里吗" is one question, not "file里吗";
#: "hui bu hui shang zheng xin" one phrase).
_CUT = regexes.lazy("[" + re.escape("".join(QUESTION_END)) + "]|(?<![a-z]) | (?![a-z])")
_GLUED_AT = regexes.lazy(f"(?=(?:{GLUED_OPENER.pattern}))")


#: A story at least this long before the first of two glued questions ("...催收天天打电话给我我想知道他们会不会起诉我
#: 还有会不会打给我家里人", voice input without pauses) is cut from it: the question begins at its opener.
STORY_BEFORE_GLUED = 8
#: Words joining one question to the next, said without a pause ("...会不会起诉我还有会不会..."): they open the next.
_JOINER_AT_END = regexes.lazy(r"(?:还有|另外|而且|以及|然后|同埋|仲有)$")


def split_questions(normalized: str) -> list[str]:
    """A message cut after each question particle and at each space (punctuation, once normalised):
    :func:`_split_questions`' parts, remembered (the matcher cuts the same text for its asking parts and for
    the statements after its last question), in a list of the caller's own."""
    return list(_split_questions(normalized))


@lru_cache(maxsize=64)
def _split_questions(normalized: str) -> tuple[str, ...]:
    """A message cut after each question particle and at each space (punctuation, once normalised):
    "严重吗会坐牢吗" -> 严重吗 / 会坐牢吗 (the 么 of 怎么 or 什么 ends no question), and before an A-不-A
    that opens another question ("会不会上征信会不会打给我爸妈" -> 会不会上征信 / 会不会打给我爸妈); parts of
    fewer than three characters are joined to the previous one.

    (Read at the places where a part may end or a glued question open, found by two searches, rather than
    character by character: the same parts.)"""
    # (position, is an opener); at one position the opener is seen first (it cuts before its character)
    places = [(m.start(), False) for m in _CUT.finditer(normalized)]
    if "不" in normalized or "唔" in normalized or "有没有" in normalized or "系咪" in normalized:
        openers = [(m.start(), True) for m in _GLUED_AT.finditer(normalized)]
        if openers:
            places = sorted(places + openers, key=lambda place: (place[0], not place[1]))
    parts: list[str] = []
    start = 0
    for i, opener in places:
        if opener:
            current = normalized[start:i]
            own = GLUED_OPENER.search(current)
            if len(current.strip()) >= 3 and own:
                if own.start() >= STORY_BEFORE_GLUED:
                    # a story told without a pause before the first of the glued questions: a part of its own
                    parts.append(current[: own.start()])
                    current = current[own.start() :]
                    start += own.start()
                joiner = _JOINER_AT_END.search(current)
                if joiner is not None and joiner.start() > 0:
                    # "...会不会起诉我还有会不会打给我家里人": the 还有 opens the next question
                    i = start + joiner.start()
                    current = current[: joiner.start()]
                parts.append(current)
                start = i
        elif not (normalized[i] == "么" and i > start and normalized[i - 1] in MO_IN_A_WORD):
            parts.append(normalized[start : i + 1])
            start = i + 1
    current = normalized[start:]
    if current.strip():
        parts.append(current)
    merged: list[str] = []
    for part in parts:
        if merged and len(part.strip()) < 3:
            merged[-1] += part
        else:
            merged.append(part)
    return tuple(p.strip() for p in merged if p.strip())


#: Words with a question character that ask nothing: a count (十几个, 好几天, 迟咗几个月, 拖了几天), a few days
#: ago or these few days (前几天, 几天前, 这几天), a count of
#: things that opens a part (the engine blanks the borrowing verb of "借了几个口子", leaving "几个口子"; not 几个月,
#: how long), where someone lives (知道我住哪), who a caller claims to be (自称是什么律所: some law firm) or how much
#: the reader owes as a collector told it ("跟我妈说了我欠多少钱", "把我欠多少都说了": what was said, not asked; the
#: engine may have blanked the 欠了); "whatever" said twice (要什么给什么, 说什么信什么: the 什么 of a correlative, no
#: question); a question someone else put to the reader about who or whether (他问我是不是..., 来电问她认不认得我;
#: not 请问 or 想问, nor 问你, which asks us, nor "爸爸问我会不会坐牢 会吗", a question the reader goes on to ask),
#: and a collector's taunt reported with the reader as "you" (骂我怎么不去上班..., 吼你怎么不...).
NOT_ASKING = regexes.lazy(
    r"[十好了咗前这那]几|几[天年](?:前|以前|之前)|(?:^|\s)几个(?!月|小时|钟|星期|礼拜|工作日|人)|住哪"
    r"|(?:自称|号称|说是|说自己是)是?什么"
    r"|(?:说|讲|告诉|把)(?:了|给|过)?\S{0,3}?我(?:欠(?:了|咗)?|\s+)多少"
    r"|什么\S{1,4}?什么(?=\s|$)"
    r"|(?<![想请要再])问(?:了|过)?(?:我|他|她)(?=是不是|是否|认不认识|认识不认识|认不认得|有没有|在哪|住哪|咋回事|怎么回事)\S*"
    r"|(?:说|骂|讲|吼)(?:我|你)\S{0,5}?怎么不\S*"
)


#: A part that says what the reader means to do ("想换手机号躲起来", "打算不还了"): a question in all but form.
MEANS_TO = regexes.lazy(r"^(?:我|现在|所以)?(?:想|打算|准备)")


#: A question that goes on from the one before ("改了以后还会打给原来的人吗", "来了我能报警吗", "以后还会打给他吗"):
#: what happens once the thing just asked about has happened (also closed by 以后 / 之后: "整理好之后交给哪个部门投诉").
FOLLOWS_ON = regexes.lazy(r"^(?:如果|要是|那)?(?:\S{1,4}?(?:了|咗|完|过|嘅话|的话|以后|之后)|以后|之后|到时)")


#: Words that open a further question and ask nothing themselves: "另外想问下具体怎么投诉", "还有会不会被起诉",
#: "那征信会不会有问题" (not the 那 of 那个), "顺便问一下...", "仲有...", "請問..." (normalised to Simplified).
LEAD_IN = regexes.lazy(
    r"^(?:(?:(?:另外|还有|还想|然后|以及|其次|而且|所以|那么|那(?![个些种样边里么])|顺便|对了|仲有|同埋|请问|我?想问|再问|请教)(?:一下|下)?|问一?下)\s*)+"
)


#: Words that say a further question follows ("还有他们凭什么找我哥", "另外...", "顺便问下...", "仲有..."): the part
#: asks something besides what was asked before it (not 那 or 所以, which may go on with the same question; 还有 only
#: before who or what is asked about, a question word or a pause, not the 还有 of "还有用吗", is it still any use).
ANOTHER_QUESTION = regexes.lazy(
    r"^(?:另外|还想问|顺便|对了|仲有|同埋|再问|其次|以及|还有(?=\s|就是|一个|一点|个|问|想|我|你|他|她|佢|会|能|可以|是|要|这|那|如果|万一|家))"
)


#: Asking whether one can still borrow (a mortgage, a car loan, a card, any loan: "以后买车还批得下来吗", "还能按揭吗")
#: about the reader's own record, with no one else named (not "女儿以后贷款会受影响吗", whose record is another's).
BORROWING_AGAIN = regexes.lazy(r"(?<![网借])贷款|房贷|车贷|按揭|信用卡|办卡|批(?:下来|得下来|不下来|得了|吗)")
_SOMEONE_ELSE = regexes.lazy(r"孩子|儿子|女儿|子女|小孩|家人|家里|老婆|老公|配偶|对象|父母|爸|妈")
#: Asking from when a period counts or how long it lasts ("这几年从哪天起算", "得熬上好多年吗"), not naming the
#: courts' limitation period (时效, 诉讼, 起诉) or whether the debt lapses (不用还).
PERIOD_COUNTED = regexes.lazy(r"(?:从|打)\S{0,10}算|(?:等|熬)\S{0,3}(?:几|多少|好多|好几)年")
_LIMITATION_WORDS = regexes.lazy(r"时效|诉讼|起诉|告|不用还|不还")


def asks_borrowing_again(part: str) -> bool:
    """Whether a part asks if the reader can still borrow (BORROWING_AGAIN), naming no one else's record."""
    return bool(BORROWING_AGAIN.search(part)) and not _SOMEONE_ELSE.search(part)


def asks_when_period_counts(part: str) -> bool:
    """Whether a part asks from when a period counts or how long it lasts (PERIOD_COUNTED), not about the
    limitation period of a claim."""
    return bool(PERIOD_COUNTED.search(part)) and not _LIMITATION_WORDS.search(part)


#: A question about the legality of what was just told, naming nothing else ("那样犯法吗", "这也合规吗", "咁做犯唔犯法"
#: in Cantonese): it asks about the story before it, whatever topic the bare words resemble (calls, most often).
ONLY_LEGALITY = regexes.lazy(
    r"^(?:这|那|这样|那样|这种|这个|这么做|那么做|咁样|咁做|咁|他们|佢哋)?(?:也|都|还)?(?:是|算|算不算|是不是|属于|有没有)?"
    r"(?:合法|违法|违规|合规|犯法|合唔合法|合不合法|违不违法|违不违规|犯唔犯法|犯不犯法)(?:的)?(?:吗|吧|么|嘛|咩|㗎|呢)?$"
)


def asks_only_legality(part: str) -> bool:
    """Whether a part asks only whether what was told is legal (see ONLY_LEGALITY)."""
    return bool(ONLY_LEGALITY.match("".join(part.split())))


#: Asking only for help in general or with coping ("该怎么办", "我要怎么调适", "怎么熬过去", "点算好"): beside distress
#: and words that only say what is owed, the reader asks how to bear it, not a debt topic (see
#: Engine._distress_first; HELP_THEN_ANOTHER below is such a plea followed by another question).
HELP_ONLY = regexes.lazy(
    r"(?:我|那我|现在)?(?:该|应该|要|能|可以)?(?:怎么|咋|如何|怎样)(?:办|整|弄|调适|调整|面对|熬|撑|过|走出来)\S{0,3}"
    r"|(?:咁)?点算好?|点办|怎么是好|如何是好"
)


#: A plea for help with how the reader feels, then another question announced ("心里乱成一团 咋办 另外...",
#: "人都快垮了 要怎么熬下去 对了分期的事"): the reader asks two things, how to cope and the question after it.
HELP_THEN_ANOTHER = regexes.lazy(
    r"(?:怎么办|咋办|怎么撑(?:过去|下去)?|怎么熬(?:过去|下去)?|怎么调整|怎么面对|点算|点办)\s*(?:啊|呀|呢)?\s*"
    r"(?:还有|另外|顺便|对了|仲有|同埋)"
)


#: A question that asks only whether to call the police ("可以报警吗", "要不要报警", "可唔可以报警", "报警有用吗",
#: "能去派出所报案吗"): the police are the step for several topics (threats, illegal lending, a visit at the door,
#: a scam), so it asks about the matter told or asked before it and names no topic of its own.
ONLY_POLICE = regexes.lazy(
    r"^(?:我|那|那我|这样|这种|这个|这种情况|咁|咁我)?(?:能不能|可不可以|可唔可以|要不要|该不该|应不应该|应唔应该|能|可以|要|该|应该|"
    r"是不是只能先)?(?:去)?(?:派出所|警察局|公安局)?(?:报警|报案)(?:吗|呢|么|嘛|㗎|有用吗|有没有用|有冇用|得唔得)?$"
)


#: A question that names no topic and asks only what the day count told means ("有影响吗", "会有事吗", "要紧不",
#: "严重吗", "靠谱吗", "是真的吗"): with a day count, what it asks is the whole message's topic, not life's
#: consequences in general (a day or two late is the grace period, a reported promise is the story's topic).
ONLY_WHAT_IT_MEANS = regexes.lazy(
    r"^(?:那|这|这样|这个)?(?:会|会不会)?(?:有没有|有冇|有)?(?:什么|啥)?(?:影响|事|问题|后果)(?:吗|么|嘛|不|没|没有|冇)?$"
    r"|^(?:那|这|这样)?(?:靠谱|可靠|真的|是真的|可信|要紧|要不要紧|严重|严不严重|严唔严重)(?:吗|么|嘛|不|唔)?$"
)


def asks_only_what_it_means(part: str) -> bool:
    """Whether a part asks only what the day count beside it means (see ONLY_WHAT_IT_MEANS)."""
    return bool(ONLY_WHAT_IT_MEANS.match("".join(part.split())))


def asks_only_police(part: str) -> bool:
    """Whether a part asks only about calling the police (see ONLY_POLICE)."""
    return bool(ONLY_POLICE.match("".join(part.split())))


def core(part: str) -> str:
    """A question less the words that only lead into it (LEAD_IN) and less the condition a follow-on question
    opens with (FOLLOWS_ON): "另外想问下具体怎么投诉" -> "具体怎么投诉", "停息挂账了还会上征信吗" -> "还会上征信吗",
    "真被告了会不会坐牢" -> "会不会坐牢". What it asks, when the rest dilutes it; "" when nothing is left that asks."""
    text = LEAD_IN.sub("", part.strip())
    after = FOLLOWS_ON.match(text)
    if after is not None and not text[after.end() :].startswith("的") and asks_something(text[after.end() :]):
        text = text[after.end() :]
    text = text.strip()
    return text if len(text) >= 3 and ends_a_question(text) else ""


@lru_cache(maxsize=256)
def ends_a_question(part: str) -> bool:
    """Whether a part of a message asks something (see ASKS), not counting the 几 of 一天十几个 or the 哪
    of 说知道我住哪, or says what the reader means to do (想换手机号). Remembered: one message's parts are
    asked about three or four times (its units, its asking units, the statements after its last question)."""
    return bool(ASKS.search(NOT_ASKING.sub(" ", part)) or MEANS_TO.match(part))


#: Words that carry no topic in a question: particles, pronouns, modal verbs and time words ("现在怎么办",
#: "怎么才能...", "能还吗"), taken out with the question words (ASKS) by :func:`topic_words`.
_TOPICLESS = regexes.lazy(r"才能|可以|应该|现在|一下|到底|究竟|[啊呀吧了呢吗嘛么哦喔啦的我你他她它们能会要该还去不就都也再又先有]")
_HAN_CHAR = regexes.lazy(r"[\u4e00-\u9fff]")


def topic_words(part: str) -> str:
    """The characters of a question that name what it is about, without its lead-in, question words,
    particles, pronouns and modal verbs: "怎么办" and "现在怎么办" name nothing (they ask about the story told
    before them), "能还吗" names 还 ... nothing either, "积分还能兑换吗" names 积分兑换. Han characters only."""
    rest = _TOPICLESS.sub("", ASKS.sub("", LEAD_IN.sub("", part.strip())))
    return "".join(_HAN_CHAR.findall(rest))


def question_units(normalized: str) -> list[tuple[str, str]]:
    """The parts of a message that may ask something, each as (the part, the part with the statements
    before it): "佢哋打俾我公司同事 合唔合法 可以点投诉" -> ("佢哋打俾我公司同事 合唔合法" with the statement,
    "可以点投诉"). A short question such as 合法吗, 可以吗 or 还要还吗 asks about what was just said; statements
    after the last question come last, asking nothing of their own. (:func:`_question_units`, remembered, in a
    list of the caller's own.)"""
    return list(_question_units(normalized))


@lru_cache(maxsize=64)
def _question_units(normalized: str) -> tuple[tuple[str, str], ...]:
    """:func:`question_units` as a tuple, remembered: the matcher and the engine's rules read one message's
    units several times (its whole text, the part without its day count, each rule that looks for a story)."""
    units: list[tuple[str, str]] = []
    pending: list[str] = []
    for part in _split_questions(normalized):
        pending.append(part)
        if ends_a_question(part):
            units.append((part, " ".join(pending)))
            pending = []
    if pending:
        units.append((pending[-1], " ".join(pending)))
    return tuple(units)


def asking_units(normalized: str) -> list[tuple[str, str]]:
    """The units of :func:`question_units` that ask (not the statements after the last question), in a list of
    the caller's own."""
    return [unit for unit in _question_units(normalized) if ends_a_question(unit[0])]


#: What a collector said they would do: "说要起诉我", "扬言要上门", "威胁我说要把我送进去", "说会爆通讯录".
REPORTED = regexes.lazy(r"(?:扬言|声称|(?:说|威胁|恐吓)(?:我|你|我们)?(?:说)?(?:要|会|准备|马上|已经|打算))")


#: "是吓唬我的吗" / "是不是在吓我": whether what was said is true, the reader's doubt, not a threat of its own
#: (not the 吓 of 恐吓 or 惊吓: "这算恐吓吧" asks whether it is a threat).
BLUFF = regexes.lazy(
    r"(?:是不是|是|只是|就是)?(?:在)?(?<![恐惊])(?:吓唬|吓|唬|忽悠)(?:我|人|我们)?(?:的|而已|一下)?(?:吗|呢|吧|么|嘛)"
)


def bluff_as_doubt(normalized: str) -> str:
    """A reported threat followed by "是吓唬我的吗" asks whether it is true ("是真的吗"): the bluff question is
    read as that doubt, so that 吓唬 (a synonym of 威胁) does not turn "催收说要起诉我 是吓唬我的吗" into a
    question about threats."""
    found = REPORTED.search(normalized)
    if found is None:
        return normalized
    head, tail = normalized[: found.end()], normalized[found.end() :]
    return head + BLUFF.sub(" 是真的吗 ", tail)


#: Where a collector's words are reported ("说要", "扬言", "话要", or 说 then when: "说后天来", "说过两天"; not 听说 or
#: 据说, a rumour): the first threat told begins after it.
_TOLD = regexes.lazy(
    r"(?:扬言|声称|(?<![听据电])(?:说|讲|话|威胁|恐吓)(?:我|你|我们)?(?:说)?(?:要|会|准备|马上|已经|打算|明天|后天|下周|下礼拜|下星期|今天|今晚|过几天|过两天))"
)
#: A further threat told after the first, with no pause needed ("说要去我单位 还说要报警抓我",
#: "讲要发朋友圈还要打给我舅", "扬言曝光我 又说要找我房东"): 还 or 又 with a verb of saying, or 还要 / 还会 once a collector has been reported.
FURTHER_THREAT = regexes.lazy(r"(?:还|又|而且|并且)(?:说|扬言|威胁|讲|话)(?:要|会)?|(?<![不没])还(?:要(?![还多是])|会(?![不吗]))")


def threats_told(normalized: str) -> list[str]:
    """The threats a collector is reported to have made, each as its own clause, when the message reports more
    than one in a row ("他们说要去我单位 还说要报警抓我" -> 去我单位 / 报警抓我; "扬言曝光我还要找我房东" ->
    曝光我 / 找我房东): each threat runs up to the next further threat (a pause before it allowed), the last up to a
    pause. [] when fewer than two are told in a row."""
    told = _TOLD.search(normalized)
    if told is None:
        return []
    clauses: list[str] = []
    rest = normalized[told.end() :]
    while (further := FURTHER_THREAT.search(rest)) is not None:
        head = rest[: further.start()].strip()
        if not head or " " in head:
            break  # (something else told between two threats: no list of threats)
        clauses.append(head)
        rest = rest[further.end() :]
    else:
        last = rest.strip().split(" ")[0] if rest.strip() else ""
        if clauses and last:
            clauses.append(last)
    return clauses if len(clauses) >= 2 else []
