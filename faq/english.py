"""English inside a message, read as the knowledge base's Chinese words.

Borrowers who write English (or Hong Kong style, English words among Chinese and Cantonese) say the same
things as everyone else in other words: the analyser (:mod:`faq.analyze`) reads a run of Latin letters
through three tables, each mapping to words the knowledge base's examples use:

* :data:`PHRASES`, several words whose meaning is not their words' ("emergency contact", "statute of
  limitations", "pay back", "shut down"), read first, longest first;
* :data:`WORDS`, single words in their base form ("harass", "summons", "licensed"), found for their
  inflections too (:func:`base_forms`: calling / called / calls, threatened, harassing, fees, legally);
* :data:`FUNCTION_WORDS`, words that carry no topic (the, my, will, they, about): dropped, as the Chinese
  stop words are, so that they do not dilute what a message is about. Words that are also pinyin syllables
  ("he", "a", "ma") are read as pinyin first by the analyser, which never lets a word of this table break
  up a pinyin phrase.

Words written in pinyin, abbreviations (cs, yq) and the knowledge base's own Latin synonyms are the
analyser's; this module knows only English.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

__all__ = ["FUNCTION_WORDS", "PHRASES", "WORDS", "base_forms", "phrase_at"]

#: Single English words (base form) -> the knowledge base's Chinese words.
WORDS: Final[dict[str, str]] = {
    # who calls, who is called
    "boss": "老板",
    "manager": "领导",
    "supervisor": "领导",
    "employer": "单位",
    "workplace": "单位",
    "office": "单位",
    "coworker": "同事",
    "colleague": "同事",
    "job": "工作",
    "hr": "单位",
    "lawyer": "律师",
    "attorney": "律师",
    "police": "警察",
    "cop": "警察",
    "family": "家人",
    "parent": "父母",
    "mom": "妈妈",
    "mum": "妈妈",
    "mother": "妈妈",
    "dad": "爸爸",
    "father": "爸爸",
    "relative": "亲戚",
    "sister": "姐姐",
    "brother": "哥哥",
    "sibling": "兄弟姐妹",
    "cousin": "表哥",
    "wife": "老婆",
    "husband": "老公",
    "spouse": "配偶",
    "kid": "孩子",
    "child": "孩子",
    "children": "孩子",
    "son": "孩子",
    "daughter": "孩子",
    "school": "学校",
    "friend": "朋友",
    "contacts": "通讯录",
    "contact": "联系人",
    "guarantor": "担保人",
    "collector": "催收",
    "collection": "催收",
    "agency": "催收公司",
    "outsource": "外包",
    "outsourced": "外包",
    "caller": "催收",
    # how they reach the reader
    "call": "打电话",
    "phone": "电话",
    "sms": "短信",
    "message": "短信",
    "text": "短信",
    "visit": "上门",
    "door": "门口",
    "doorstep": "门口",
    "house": "家里",
    "home": "家里",
    "hometown": "老家",
    "village": "老家",
    "expose": "曝光",
    # what they do
    "harass": "骚扰",
    "harassment": "骚扰",
    "threaten": "威胁",
    "threat": "威胁",
    "intimidate": "恐吓",
    "scare": "吓唬",
    "insult": "辱骂",
    "abuse": "辱骂",
    "curse": "辱骂",
    "swear": "辱骂",
    "stalk": "跟踪",
    "leak": "泄露",
    "privacy": "隐私",
    "impersonate": "冒充",
    "pretend": "冒充",
    "fake": "假冒",
    # the reader's defences
    "complain": "投诉",
    "complaint": "投诉",
    "report": "举报",
    "regulator": "监管",
    "hotline": "热线",
    "record": "录音",
    "recording": "录音",
    "screenshot": "截图",
    "evidence": "证据",
    "proof": "证据",
    "compensation": "赔偿",
    "compensate": "赔偿",
    "damages": "赔偿",
    "sue": "起诉",
    "ignore": "不接",
    "block": "拉黑",
    "hide": "躲",
    "disappear": "失联",
    "unreachable": "失联",
    # the law and the courts
    "legal": "合法",
    "lawful": "合法",
    "legit": "合法",
    "legitimate": "合法",
    "allowed": "合法",
    "permitted": "合法",
    "illegal": "违法",
    "unlawful": "违法",
    "violate": "违规",
    "violation": "违规",
    "rule": "规定",
    "regulation": "规定",
    "court": "法院",
    "summons": "传票",
    "subpoena": "传票",
    "lawsuit": "起诉",
    "litigation": "诉讼",
    "judge": "判决",
    "judgment": "判决",
    "judgement": "判决",
    "verdict": "判决",
    "hearing": "开庭",
    "trial": "开庭",
    "enforcement": "强制执行",
    "enforce": "强制执行",
    "freeze": "冻结",
    "frozen": "冻结",
    "blacklist": "黑名单",
    "jail": "坐牢",
    "prison": "坐牢",
    "arrest": "抓人",
    "detain": "拘留",
    "criminal": "刑事",
    "crime": "刑事",
    # the loan and its money
    "loan": "贷款",
    "debt": "欠款",
    "lender": "平台",
    "platform": "平台",
    "overdue": "逾期",
    "behind": "逾期",
    "late": "逾期",
    "receive": "收到",
    "number": "号码",
    "due": "到期",
    "credit": "征信",
    "license": "牌照",
    "licence": "牌照",
    "licensed": "持牌",
    "unlicensed": "无牌",
    "interest": "利息",
    "apr": "年化",
    "fee": "费用",
    "penalty": "罚息",
    "principal": "本金",
    "usury": "高利贷",
    "negotiate": "协商",
    "negotiation": "协商",
    "installment": "分期",
    "instalment": "分期",
    "extension": "延期",
    "extend": "延期",
    "postpone": "延期",
    "defer": "延期",
    "waive": "减免",
    "waiver": "减免",
    "discount": "减免",
    "settle": "结清",
    "repay": "还款",
    "repayment": "还款",
    "payment": "还款",
    "prioritize": "先还",
    "prioritise": "先还",
    "priority": "先还",
    "budget": "预算",
    "plan": "规划",
    "broke": "没钱",
    "deposit": "保证金",
    "link": "链接",
    "transfer": "转账",
    "scam": "骗子",
    "scammer": "骗子",
    "fraud": "诈骗",
    "app": "app",
    "ai": "ai",
    "bankrupt": "倒闭",
    "collapse": "倒闭",
    "inherit": "继承",
    "inheritance": "继承",
    "divorce": "离婚",
    # what it does to the reader's life
    "responsible": "义务",
    "liable": "义务",
    "obligated": "义务",
    "obliged": "义务",
    "affect": "影响",
    "impact": "影响",
    "consequence": "后果",
    "process": "流程",
    "procedure": "流程",
    "timeline": "时间线",
    "travel": "出行",
    "flight": "飞机",
    "fly": "飞机",
    "abroad": "出国",
    "mortgage": "房贷",
    "fire": "开除",
    "stress": "压力",
    "stressed": "压力",
    "pressure": "压力",
    "anxious": "焦虑",
    "anxiety": "焦虑",
    "depressed": "抑郁",
    "depression": "抑郁",
    "insomnia": "失眠",
    "panic": "心慌",
    "overwhelmed": "崩溃",
    "breakdown": "崩溃",
    "hopeless": "崩溃",
    "cry": "哭",
    "exhausted": "累",
    "ashamed": "丢人",
    "embarrassed": "丢人",
    "company": "公司",
    "recommend": "推荐",
    "emergencycontact": "紧急联系人",
    # acc21: a debt that lapses with time (the knowledge base says 过期 / 作废 / 失效 of a debt left for years)
    "expire": "过期",
    "expiry": "过期",
    "lapse": "失效",
    "void": "作废",
    # acc22: owing, paying, harm to the record, a lender's app or site gone (the words of a debt asked about in
    # English, which the tables above did not know: "owes", "pay", "hurt", "vanished")
    "owe": "欠款",
    "pay": "还钱",
    "money": "钱",
    "hurt": "影响",
    "ruin": "影响",
    "vanish": "跑路",
    "website": "平台",
    "site": "平台",
    "considered": "算",
}

#: Several words read as one (each word also matches its inflections: "calling my parents", "got sued").
PHRASES: Final[dict[str, str]] = {
    "emergency contact": "紧急联系人",
    "emergency contact person": "紧急联系人",
    "contact list": "通讯录",
    "phone book": "通讯录",
    "address book": "通讯录",
    "credit report": "征信报告",
    "credit record": "征信",
    "credit score": "征信",
    "credit history": "征信",
    "credit file": "征信",
    "interest rate": "利率",
    "annual rate": "年化",
    "late fee": "罚息",
    "late charge": "罚息",
    "penalty interest": "罚息",
    "service fee": "服务费",
    "membership fee": "会员费",
    "payment plan": "分期",
    "repayment plan": "分期",
    "installment plan": "分期",
    "pay in installment": "分期",
    "grace period": "宽限期",
    "statute of limitation": "诉讼时效",
    "limitation period": "诉讼时效",
    "time limit": "时效",
    "third party": "第三方",
    "debt collector": "催收",
    "collection agency": "催收公司",
    "debt collection agency": "催收公司",
    "collection company": "催收公司",
    "loan shark": "高利贷",
    "shut down": "倒闭",
    "go bust": "倒闭",
    "out of business": "倒闭",
    "run away": "跑路",
    "run off": "跑路",
    "can t open": "打不开",
    "cannot open": "打不开",
    "pay back": "还款",
    "pay off": "结清",
    "paid off": "结清",
    "can t pay": "还不上",
    "cannot pay": "还不上",
    "unable to pay": "还不上",
    "can t afford": "还不上",
    "cannot afford": "还不上",
    "no money": "没钱",
    "go to jail": "坐牢",
    "go to prison": "坐牢",
    "criminal record": "案底",
    "home visit": "上门",
    "come to my home": "上门",
    "come to my house": "上门",
    "show up at": "上门",
    "knock on": "敲门",
    "bank account": "银行卡",
    "bank card": "银行卡",
    "travel ban": "限高",
    "high speed rail": "高铁",
    "high speed train": "高铁",
    "civil service": "考公",
    "government job": "考公",
    "lose my job": "开除",
    "personal information": "个人信息",
    "personal info": "个人信息",
    "personal detail": "个人信息",
    "ignore call": "不接电话",
    "stop answer": "不接",
    "stop pick up": "不接",
    "not answer": "不接",
    "don t answer": "不接",
    "change number": "换号",
    "change my number": "换号",
    "new number": "换号",
    "new phone number": "换号",
    "turn off my phone": "关机",
    "switch off my phone": "关机",
    "phone off": "关机",
    "report to the police": "报警",
    "call the police": "报警",
    "lawyer letter": "律师函",
    "legal letter": "律师函",
    "demand letter": "律师函",
    "debt relief": "债务优化",
    "debt optimization": "债务优化",
    "debt optimisation": "债务优化",
    "credit repair": "征信修复",
    "fix my credit": "征信修复",
    "borrow to repay": "以贷养贷",
    "new loan to pay": "以贷养贷",
    "debt free": "上岸",
    "pass away": "去世",
    "passed away": "去世",
    "can t sleep": "睡不着",
    "cannot sleep": "睡不着",
    "in the middle of the night": "半夜",
    "at night": "半夜",
    "late at night": "半夜",
    "late night": "半夜",
    "midnight": "半夜",
    "how many time": "几次",
    "time a day": "几次",
    "against the law": "违法",
    # acc20: a complaint filed, a duty to pay another's debt, an app gone from the store, a new loan to cover
    "file a complaint": "投诉",
    "make a complaint": "投诉",
    "lodge a complaint": "投诉",
    "file complaint": "投诉",
    "responsible to pay": "有义务还",
    "responsible for": "有义务",
    "liable for": "有义务",
    "app store": "下架",
    "removed from": "下架",
    "borrow from another": "以贷养贷",
    "loan from another": "以贷养贷",
    "another loan to cover": "以贷养贷",
    "not allowed": "违法",
    # acc21: a debt barred by time, a rumour checked
    "time barred": "过时效",
    "time bar": "过时效",
    "written off": "作废",
    "write off": "作废",
    "is it true": "是真的吗",
    # contractions (the apostrophe normalised to a space): "i m" is no stage M1
    "i m": "",
    "i d": "",
    "i ve": "",
    "i ll": "",
    # acc22: which debt first, more time, a court case, whether a delay counts, a lender's app gone, a duty to pay
    # (a card's own terms are a banking question: "credit card" is no credit record)
    "credit card": "信用卡",
    "annual fee": "年费",
    "minimum payment": "最低还款",
    "min payment": "最低还款",
    "pay first": "先还",
    "repay first": "先还",
    "pay back first": "先还",
    "pay off first": "先还",
    "which first": "先还",
    "which one first": "先还",
    "keep up": "还不上",
    "can t keep up": "还不上",
    "cannot keep up": "还不上",
    "more time": "延期",
    "extra time": "延期",
    "few more day": "宽限",
    "get paid": "",
    "take me to court": "起诉",
    "take to court": "起诉",
    "count as": "算",
    "count as late": "算逾期",
    "count as overdue": "算逾期",
    "considered late": "算逾期",
    "considered overdue": "算逾期",
    "come to my door": "上门",
    "come to my place": "上门",
    "app is gone": "平台没了",
    "app gone": "平台没了",
    "app disappear": "平台没了",
    "app vanish": "平台没了",
    "app is down": "平台没了",
    "app close": "平台没了",
    "website is down": "平台没了",
    "site is down": "平台没了",
    "hurt me": "威胁",
    "hurt my family": "威胁",
    "beat me": "威胁",
    "beat me up": "威胁",
    "hurt my credit": "影响征信",
    "have to pay": "还钱",
    "need to pay": "还钱",
    "must pay": "还钱",
    "still owe": "欠款",
    "what should i do": "怎么办",
    "what do i do": "怎么办",
    "what can i do": "怎么办",
}

#: Words that carry no topic (dropped like the Chinese stop words), contractions' pieces included ("i m",
#: "don t": normalisation turns the apostrophe into a space).
FUNCTION_WORDS: Final = frozenset(
    """a an the this that these those it its i me my mine myself we us our you your he him his she her they them
    their there here who whom whose which what when where why how whether if then than so as and or but not no
    nor to of in on at by for from with without about into onto over under after before until up down out off
    again just only also too very really still already ever even now yet soon all any some every each much many
    against
    more most other such own same is am are was were be been being do does did done doing have has had having
    will would shall should can could may might must please
    s t re ve ll dont cant wont didnt doesnt isnt arent im ive
    get got gets getting go going gone went come came coming say said says tell told ask asked know think
    want need like let make made keep kept time times one someone something anything everything thing stuff way lot bit
    guy guys people person now today tomorrow yesterday week weeks day days month months year years
    weekend several few ago
    """.split()
)

_IRREGULAR: Final = {
    "paid": "pay",
    "ran": "run",
    "sent": "send",
    "lost": "lose",
    "went": "go",
    "gone": "go",
    "caught": "catch",
    "sued": "sue",
    "owed": "owe",
    "died": "die",
    "froze": "freeze",
    "shutdown": "shut down",
}


@lru_cache(maxsize=4096)
def base_forms(word: str) -> tuple[str, ...]:
    """``word`` and the base forms it may be an inflection of, most likely first: calling -> call,
    harassed -> harass, threatened -> threaten, fees -> fee, parties -> party, legally -> legal (apply is no app),
    stopped -> stop, paid -> pay. Candidates only: the caller keeps the first its table knows."""
    forms = [word]
    if word in _IRREGULAR:
        forms.append(_IRREGULAR[word])
    for suffix, replacements in (
        ("ies", ("y",)),
        ("ied", ("y",)),
        ("ing", ("", "e")),
        ("ed", ("", "e")),
        ("es", ("",)),
        ("s", ("",)),
        ("ly", ("",)),
        ("ment", ("",)),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= (4 if suffix == "ly" else 2):
            stem = word[: -len(suffix)]
            forms += [stem + r for r in replacements]
            if suffix in ("ing", "ed") and len(stem) >= 3 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # stopped -> stop, blocked stays block
    return tuple(dict.fromkeys(forms))


def _matches(written: str, wanted: str) -> bool:
    return written == wanted or wanted in base_forms(written)


_PHRASE_WORDS: Final = {phrase: tuple(phrase.split()) for phrase in PHRASES}
_LONGEST_PHRASE: Final = max(len(words) for words in _PHRASE_WORDS.values())
#: Phrases by their first word, longest first.
_BY_FIRST: Final[dict[str, list[tuple[tuple[str, ...], str]]]] = {}
for _phrase, _words in sorted(_PHRASE_WORDS.items(), key=lambda item: (-len(item[1]), item[0])):
    _BY_FIRST.setdefault(_words[0], []).append((_words, PHRASES[_phrase]))


def phrase_at(words: list[str], start: int) -> tuple[str, int] | None:
    """The phrase of :data:`PHRASES` that starts at ``words[start]`` (the longest), as its Chinese and its
    width in words, or None."""
    for form in base_forms(words[start]):
        for wanted, chinese in _BY_FIRST.get(form, ()):
            end = start + len(wanted)
            if end <= len(words) and all(_matches(w, p) for w, p in zip(words[start + 1 : end], wanted[1:], strict=True)):
                return chinese, len(wanted)
    return None
