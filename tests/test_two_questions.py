"""Two questions in one message: both answered (at most two intents, each short) when both are clearly asked,
one answer when only one is. Every message here is invented for these tests (none comes from a dev set).

The figures on the dev sets are measured by scripts/two_questions.py (labelled pairs with both answers, and
one-question messages given a spurious second answer); these tests pin the rules that raised them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from faq import questions
from faq.engine import FIRST_MESSAGE_LIMIT, Engine
from faq.evaluate import Example
from faq.reply import Part

# ------------------------------------------------------------------------------- how a message is cut


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        # two questions asked the same way, glued without a particle or punctuation
        ("网贷逾期会不会被起诉会不会坐牢", ["网贷逾期会不会被起诉", "会不会坐牢"]),
        ("能不能协商分期能不能免掉罚息", ["能不能协商分期", "能不能免掉罚息"]),
        ("会唔会坐监㗎会唔会打俾我屋企人", ["会唔会坐监㗎", "会唔会打俾我屋企人"]),
        # an A-不-A that a 怎么查 asks about is part of that question, not a second one
        ("怎样知道一家借款app有没有牌照", ["怎样知道一家借款app有没有牌照"]),
        ("我想知道会不会上门", ["我想知道会不会上门"]),
        # particles still cut as before
        ("严重吗会坐牢吗", ["严重吗", "会坐牢吗"]),
        # said without a pause: a story before the first glued question is cut from it, and 还有 opens the next
        (
            "我逾期了两个多月了每天都有电话打过来想问一下会不会上门另外会不会影响我小孩以后考公务员",
            ["我逾期了两个多月了每天都有电话打过来想问一下", "会不会上门", "另外会不会影响我小孩以后考公务员"],
        ),
    ],
)
def test_split_questions(text: str, parts: list[str]) -> None:
    assert questions.split_questions(text) == parts


@pytest.mark.parametrize(
    ("part", "asks"),
    [
        ("还能投诉不", True),  # a verb, then 不 at the end
        ("合不合规", True),  # A-不-A
        ("这到底是真的假的", True),
        ("还是我直接找银行谈", True),  # the other half of a choice
        ("还是还不上", False),  # 还是 = still
        ("还是说他们不管", False),  # the same question again in other words
        ("我还不起", False),
        ("几个网贷的口子", False),  # a count left when the engine blanks 借了
        ("几个月会被起诉", True),  # how long
        ("一天打十几个", False),
        ("前几天有人打电话给我", False),  # a few days ago
        ("这几天一直在打", False),
        ("拖欠几天算违约", True),
        ("有个号码自称是什么调解中心", False),  # some mediation centre, not a question
        ("跟他讲了我欠多少钱", False),  # what a collector told, not a question
        ("把我欠了多少都说了", False),
        ("我到底欠了多少", True),
        ("我点投诉佢哋", True),  # Cantonese: how to complain
        ("明天去网点处理", False),  # a bank branch
        ("追数嘅程序系点", True),  # Cantonese: what is the procedure like
        ("迟咗还 跟住会点", True),  # Cantonese: what happens next
        ("我会点钟去还", False),  # a clock time
        ("这种做法是否合规", True),
        # a tag question about what was just told asks; "这样吧" (let's do this) or a plan does not
        ("这违法吧", True),
        ("这算恐吓吧", True),
        ("那不是高利贷吧", True),
        ("他们半夜打来骂人 是违规的吧", True),
        ("催收这么做犯法了吧", True),
        ("这样吧", False),
        ("那我先还这个吧", False),
        # a worried guess asks to be told ("they won't really ..., will they?")
        ("他们不会真的上门吧", True),
        ("不然会天天去烦我爸吧", True),
        # acc20: "whatever" said twice, a question someone else put to the reader, a collector's taunt
        ("他们想说什么就说什么", False),
        ("要什么给什么", False),
        ("什么时候会打给什么人", True),
        ("舅舅打电话问我是不是借了钱", False),
        ("想问我是不是要先还本金", True),  # the reader asking (想问), not someone else
        ("请问他们能不能这样", True),
        ("那人骂我怎么不去跳河", False),
        ("他们怎么不先发短信", True),
    ],
)
def test_what_asks(part: str, asks: bool) -> None:
    assert questions.ends_a_question(part) is asks


@pytest.mark.parametrize(
    ("raw", "marked"),
    [
        # a run of terse questions asked by their marks alone: each still asks once the marks are gone
        ("会被起诉?会坐牢?", "会被起诉吗?会坐牢吗?"),
        ("欠了五千 上征信？ 打家里？", "欠了五千 上征信吗？ 打家里吗？"),
        # asked in words already, a lone mark, or a longer sentence: unchanged
        ("会拘留吗?打单位?", "会拘留吗?打单位吗?"),
        ("起诉 坐牢？", "起诉 坐牢？"),
        ("我以后是跟银行还钱还是跟这家公司?他们合法?", "我以后是跟银行还钱还是跟这家公司?他们合法?"),
    ],
)
def test_terse_questions_keep_their_marks_as_particles(raw: str, marked: str) -> None:
    from faq.normalize import normalize

    assert questions.question_marks_as_particles(raw, normalize) == marked


def test_a_run_of_terse_questions_gets_both_answers(engine: Engine) -> None:
    assert engine.reply("会被起诉?会坐牢?").intents == ("lawsuit", "jail")


@pytest.mark.parametrize(
    ("part", "refers"),
    [
        ("这样合法吗", True),
        ("他们这么做算违法吗", True),
        # a condition on the story, then a question of its own: it asks that question's topic
        ("他们真这么搞了 我能要求赔偿吗", False),
        ("如果真这样做了 我可以告他们吗", False),
        ("佢哋真系咁做嘅话 我可唔可以报警", False),
        # the condition, and nothing asked after it: still about the story
        ("要是真这样了", True),
    ],
)
def test_what_asks_about_the_story(part: str, refers: bool) -> None:
    assert questions.refers_back(part) is refers


@pytest.mark.parametrize(
    ("part", "core"),
    [
        ("另外想问下具体怎么投诉", "具体怎么投诉"),
        ("还有我想问一下会不会坐牢", "会不会坐牢"),
        ("请教下怎么协商", "怎么协商"),
        ("那征信会不会有问题", "征信会不会有问题"),
        ("那个平台会起诉吗", "那个平台会起诉吗"),  # 那个: that one, no lead-in
        ("分期了还会上征信吗", "还会上征信吗"),
        ("真被起诉了会不会坐牢", "会不会坐牢"),
        # a condition closed by 以后 / 之后 after what was done
        ("整理好之后交给哪个部门投诉", "交给哪个部门投诉"),
        ("还清之后征信会恢复吗", "征信会恢复吗"),
        # nothing to take away: the question as it is
        ("下周会上门吗", "下周会上门吗"),
        ("问题严重吗", "问题严重吗"),
        ("有成功过的人说说吗", "有成功过的人说说吗"),  # 过 then 的: no condition clause
        # nothing left that asks
        ("另外想问下", ""),
    ],
)
def test_core_of_a_question(part: str, core: str) -> None:
    assert questions.core(part) == core


@pytest.mark.parametrize(
    ("part", "another"),
    [
        ("另外他们能起诉我吗", True),
        ("还有他们会不会上门", True),
        ("还有 能不能分期", True),
        ("顺便问下怎么投诉", True),
        ("还有用吗", False),  # still of use
        ("还有多少没还", False),
        ("那会不会上征信", False),  # 那 may go on with the same question
    ],
)
def test_a_further_question_is_announced(part: str, another: bool) -> None:
    assert bool(questions.ANOTHER_QUESTION.match(part)) is another


@pytest.mark.parametrize(
    ("part", "only"),
    [
        ("可以报警吗", True),
        ("要不要报警", True),
        ("可唔可以报警", True),
        ("这种情况报警有用吗", True),
        ("可以去派出所报案吗", True),
        ("被催收恐吓可以报警吗", False),  # names what it is about
        ("报警之后能要求赔偿吗", False),
    ],
)
def test_a_question_only_about_the_police(part: str, only: bool) -> None:
    assert questions.asks_only_police(part) is only


@pytest.mark.parametrize(
    ("part", "topic"),
    [
        ("怎么办", "办"),  # asks for help with what was told: no topic of its own
        ("现在该怎么办呢", "办"),
        ("能还吗", ""),
        ("另外想问下周末哪家火锅店好吃", "周末家火锅店好吃"),  # (哪 is a question word)
        ("你会唱歌吗", "唱歌"),
    ],
)
def test_the_topic_words_of_a_question(part: str, topic: str) -> None:
    assert questions.topic_words(part) == topic


def test_a_threat_named_is_no_bluff() -> None:
    """"是吓唬我的吗" doubts what a collector said; the 吓 of 恐吓 names a threat and stays as it is."""
    assert "是真的吗" in questions.bluff_as_doubt("催收说要去我单位 是在吓我吗")
    told = "他们说要去我单位闹 这算恐吓吧"
    assert questions.bluff_as_doubt(told) == told


@pytest.mark.parametrize(
    ("part", "refers"),
    [
        ("这样合法吗", True),
        ("他们这么说对吗", True),
        ("利息这么高合法吗", False),  # a degree: how high, not what was told
        ("欠那么多会坐牢吗", False),
        ("佢哋可以咁做咩", True),  # Cantonese 咁做: "do so", what the story told
        ("咁样时效会唔会重新计", True),
    ],
)
def test_a_question_about_the_story(part: str, refers: bool) -> None:
    assert bool(questions.REFERS_BACK.search(part)) is refers


# --------------------------------------------------------------------------- the engine's two answers


def _answered(engine: Engine, text: str) -> tuple[str, ...]:
    reply = engine.reply(text)
    return reply.intents or ((reply.intent,) if reply.intent else ())


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("网贷逾期会不会被起诉会不会坐牢", {"lawsuit", "jail"}),
        ("逾期了会不会上征信会不会打给我爸妈", {"credit_report", "family_contact"}),
        ("会唔会坐监㗎会唔会打俾我屋企人", {"jail", "family_contact"}),
        ("半夜十二点还在打我电话 算不算违规 可以投诉不", {"call_legality", "complain"}),
        ("催收讲周末要来我家堵我 真的假的 这种能去投诉吗", {"home_visit", "complain"}),
        ("有人说借款app下架了就不用还 真的吗 那征信会不会有问题", {"platform_closed", "credit_report"}),
        ("佢哋日日打去我公司 我點投訴 會唔會搞到我冇咗份工", {"complain", "life_impact"}),
        ("催收是否可以打给我同事 是否会上征信", {"contact_list", "credit_report"}),
        # who the caller claims to be is no question: the two questions are the next ones
        (
            "有个号码自称是什么调解中心 说受银行委托来催 这种外包催收合法吗 他们讲下礼拜来我家 真的会来吗",
            {"third_party_collection", "home_visit"},
        ),
        # a story, then two questions on other topics than the story's
        ("催收在我们小区业主群里发我的欠款截图 我该找谁举报 聊天截图算证据吗", {"complain", "evidence"}),
        ("有家公司说交2000块能帮我停息挂账 可信吗?还是我直接找银行谈", {"scam", "negotiate"}),
        # a tag question (吧) about the story asks the story's topic; the other question its own
        ("催收把我欠钱的事群发给我通讯录里的朋友 这违法吧 怎么投诉他们", {"contact_list", "complain"}),
        ("我老婆被催收吓得不敢接电话 可以要求他们赔偿吗 他们还说要去她单位闹 这算恐吓吧", {"compensation", "threats"}),
        # "另外" says a further question follows: not the first one's topic again, its next likeliest
        ("催收叫我老公帮我还 他必须替我还吗 另外凭什么找我老公要钱", {"family_liability", "family_contact"}),
        ("想把借款app的紧急联系人改成我朋友 可以吗 不然他们会天天打我老婆吧", {"change_emergency_contact", "family_contact"}),
        ("逾期快两个月了 催收不会真的上门吧 会不会影响我孩子上学", {"home_visit", "life_impact"}),
        # voice input without pauses: a story, then two glued questions joined by 还有 / 另外
        (
            "我在好几个平台借了钱现在都还不上了催收天天打电话给我我想知道他们会不会起诉我还有会不会打电话给我家里人",
            {"lawsuit", "family_contact"},
        ),
        ("我逾期了两个多月了每天都有电话打过来想问一下会不会上门另外会不会影响我小孩以后考公务员", {"home_visit", "life_impact"}),
        # a police question about a threat told before it still pairs with the other question
        ("催收威胁要打断我的腿 我该怎么保存证据 可以报警吗", {"evidence", "threats"}),
    ],
)
def test_two_clear_questions_get_both_answers(engine: Engine, text: str, both: set[str]) -> None:
    got = _answered(engine, text)
    assert len(got) == 2 and set(got) == both


@pytest.mark.parametrize(
    "text",
    [
        "借了几个网贷 现在有一笔逾期了 到底逾期多久会打给家里人",  # a count of loans is no question
        "天天加班 还是还不上 能不能只还本金",  # 还是 = still
        "信用卡晚还款会影响征信记录吗",
        "催收骂我 这样合法吗",
        "前几天有人打电话给我 说是法院的 这是不是骗子",  # 前几天 asks nothing
        "这样吧 我先还一部分 剩下的能分期吗",  # "这样吧" proposes, it does not ask
        "我把通讯录权限关掉了 现在还有用吗",  # 还有用: still of use, no further question
        # calling the police about the matter just asked: the answer to that matter says when and how
        "七天期的网贷口子 砍头息扣了三成 是不是套路贷啊 能报警吗",
        "上门催收的人一直拍门 我能不理他们吗 可以报警吗",
        "催收打到我舅舅那里 跟他讲了我欠多少钱 这合规吗",  # how much was told, not asked
    ],
)
def test_one_question_gets_one_answer(engine: Engine, text: str) -> None:
    assert len(_answered(engine, text)) == 1


def test_a_question_about_the_story_asks_the_story_s_topic(engine: Engine) -> None:
    """"这样合法吗" after a story, clear neither alone nor with the story (a dilute whole, a threshold that moved),
    asks the whole message's topic: beside another clear question, the pair is the story's topic and that one.
    Without a story before it, it asks nothing of its own."""
    from faq.matcher import Match, _Readings

    matcher = engine.matcher
    whole = Match(intent="call_legality", confidence=0.55, ranking=())
    clear = Match(intent="complain", confidence=0.95, ranking=())

    def asked(part: str) -> Match | None:
        return clear if part == "去哪里投诉" else None

    told = [("这样合法吗", "他们一天打几十个电话 这样合法吗"), ("去哪里投诉", "去哪里投诉")]
    assert matcher._pair(told, whole, asked, _Readings(matcher)) == ("call_legality", "complain")
    untold = [("这样合法吗", "这样合法吗"), ("去哪里投诉", "去哪里投诉")]
    assert matcher._pair(untold, whole, asked, _Readings(matcher)) is None


def test_a_question_the_stage_block_answers_is_named_not_repeated(engine: Engine) -> None:
    """"接下来会怎样" at a day count is what the stage block answers: the reply names the collection process
    as its second topic and shows no further text for it."""
    reply = engine.reply("拖了两个礼拜 下面会发生什么 他们会联系我老婆吗")
    process = engine.kb.intent("collection_process")
    assert process is not None
    assert reply.intents == ("family_contact", "collection_process")
    assert reply.stage is not None and process.title not in reply.text


@pytest.mark.parametrize(
    "text",
    [
        "借了八千 逾期40天 会不会打给我爸妈 还会上征信吗",
        "网贷逾期会不会被起诉会不会坐牢",
        "催收讲周末要来我家堵我 真的假的 这种能去投诉吗",
    ],
)
def test_two_answers_stay_short(engine: Engine, text: str) -> None:
    """The second answer is its title and direct sentence; the first gives up room for it (its stage block
    shrinks first), so that both fit the first message; the second topic's button comes first."""
    reply = engine.reply(text)
    assert len(reply.intents) == 2
    second = engine.kb.intent(reply.intents[1])
    assert second is not None and reply.parts[-1] == Part(second.summary, heading=second.title)
    assert len(reply.text) <= FIRST_MESSAGE_LIMIT
    assert reply.related and reply.related[0].intent == second.id
    alone = engine.kb.intent(reply.intents[0])
    assert alone is not None and len(reply.related) == max(len(alone.related), 1)


# ------------------------------------------------------------------------------------ the measurement


def test_the_measurement_counts_pairs_and_spurious_second_answers(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/two_questions.py: a labelled pair answered both ways counts as both (and in order), a
    message labelled with one question that gets two counts as a spurious second answer."""
    path = Path(__file__).resolve().parent.parent / "scripts" / "two_questions.py"
    spec = importlib.util.spec_from_file_location("two_questions_script", path)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, script)  # (its dataclasses look their module up)
    spec.loader.exec_module(script)
    dataset = [
        Example("网贷逾期会不会被起诉会不会坐牢", "lawsuit", also="jail"),
        Example("逾期了会不会上征信会不会打给我爸妈", "credit_report"),  # labelled as one question: spurious
        Example("借了几个网贷 现在有一笔逾期了 到底逾期多久会打给家里人", "family_contact"),
        Example("今天天气怎么样", None),
    ]
    f = script.measure(engine, dataset)
    assert (f.pairs, f.both, f.ordered) == (1, 1, 1)
    assert (f.single, f.spurious, f.oos, f.oos_second, f.rejected) == (2, 1, 1, 0, 1)
    assert f.first_right == 3 and len(f.lengths) == 2


def test_details_reach_what_the_first_of_two_answers_gave_up(engine: Engine) -> None:
    """The first of two answers gives up room for the second (its body may lose paragraphs it shows alone);
    "详细说明" (Engine.more, with the chat's context) then starts where it was cut, so that every line the answer
    shows alone is either in the reply or behind the button. Before, the button gave the details of the answer
    alone and the cut paragraphs were out of reach."""
    reply, context = engine.converse("逾期两个月了会被起诉吗 会坐牢吗", None)
    assert reply.intents == ("lawsuit", "jail")
    alone, _ = engine.press(reply.intent or "", None, days=reply.days, platform=reply.platform)
    cut = [line.strip() for p in alone.parts for line in p.body.splitlines() if line.strip() not in reply.text]
    assert cut  # the case this test is about: the first answer shows less than alone
    more, _ = engine.more(context, intent_id=reply.intent, days=reply.days, platform=reply.platform)
    assert [line for line in cut if line not in more.text] == []
    # pressed with no context (an old button), the details are the answer's own, as before
    assert engine.more(None, intent_id="lawsuit")[0].text


# ----------------------------------------------------- families added by pairs16 (each text invented here)


@pytest.mark.parametrize(
    ("text", "threats"),
    [
        ("他们说要去我单位 还说要报警抓我", ["去我单位", "报警抓我"]),
        ("讲要发朋友圈还要打给我舅 吓人不", ["发朋友圈", "打给我舅"]),
        ("催收扬言曝光我 又说要找我房东", ["曝光我", "找我房东"]),
        ("听说拖久了还会被拘留", []),  # a rumour, not a collector's words
        ("他说要告我 那我还要还吗", []),  # one threat, then a question of the reader's own
        ("客服电话里骂得难听 还说要找我领导", []),  # one threat told (电话 is no 话 of saying)
    ],
)
def test_threats_told_in_a_row(text: str, threats: list[str]) -> None:
    assert questions.threats_told(text) == threats


@pytest.mark.parametrize(
    ("part", "again", "period"),
    [
        ("往后按揭还批吗", True, False),
        ("以后还办得了信用卡吗", True, False),
        ("以后孩子贷款会受牵连吗", False, False),  # someone else's record
        ("网贷欠着还能去香港玩吗", False, False),  # 网贷 is the debt, not a new loan
        ("这五年打哪天起算", False, True),
        ("记录得熬上好多年吗", False, True),
        ("诉讼时效从哪天开始算", False, False),  # the courts' limitation period
    ],
)
def test_what_a_credit_question_answers_too(part: str, again: bool, period: bool) -> None:
    assert questions.asks_borrowing_again(part) is again
    assert questions.asks_when_period_counts(part) is period


@pytest.mark.parametrize(
    ("part", "only"),
    [("那样犯法吗", True), ("这也合规吗", True), ("咁做犯唔犯法", True), ("一小时打五遍合法吗", False)],
)
def test_a_question_only_about_legality(part: str, only: bool) -> None:
    assert questions.asks_only_legality(part) is only


@pytest.mark.parametrize("part", ["应该是个骗局吧", "对方就是个托吧"])
def test_a_guess_asked_for_confirmation_asks(part: str) -> None:
    assert questions.ends_a_question(part)


@pytest.mark.parametrize(
    ("text", "both"),
    [
        # two threats reported in a row: both answered
        ("催收扬言下礼拜去我老家 还要起诉我 真的会吗", {"home_visit", "lawsuit"}),
        # a guess that it is a scam, then a question of its own
        ("短信说我欠款被立案了 应该是骗局吧 被起诉了怎么查真假", {"scam", "lawsuit"}),
        # a plea about how the reader feels, then another question announced
        ("整晚睡不着 好焦虑 该怎么熬过去 另外能跟平台谈分期吗", {"emotional", "negotiate"}),
        # acc24: a reader breaking down, with a practical question: that question, and support second
        ("这几个月精神都要崩溃掉 会不会真闹到法院去", {"lawsuit", "emotional"}),
    ],
)
def test_families_of_two_questions(engine: Engine, text: str, both: set[str]) -> None:
    assert set(_answered(engine, text)) == both


@pytest.mark.parametrize(
    "text",
    [
        # whether one can still borrow, beside a credit question, is that question again
        "信用卡拖了十来天 记录会报上去吗 往后按揭还批吗",
        # from when the record's years count is the record's own period
        "不良记录要挂多久 这五年打哪天起算",
        # a bare legality question asks about the story told before it (here: relatives told of the debt)
        "他们找到我表哥讲了欠款的事 那样犯法吗",
        # distress with a question beside it and no plea: one answer, with a calming first clause
        "好焦虑 会坐牢吗",
        # acc24: fear of a threat belongs to the threat's topic (no support answer beside it)
        "催收说要找人堵我家门口 我好怕 能报警吗",
    ],
)
def test_one_topic_in_other_words_gets_one_answer(engine: Engine, text: str) -> None:
    assert len(_answered(engine, text)) == 1
