"""What a message is, read by rule beside the matcher: a question about a credit bureau outside the mainland, a
request for a lender, a reader who works in debt collection, a courtesy that brings good news, a question about a
mortgage's or car loan's ordinary terms, someone offering to wipe a credit record, calls to
a work landline, money owed to the reader.

Pure functions over the normalised message (Simplified, lower case, punctuation as spaces). The engine decides
what each reading changes (``Engine.understand``): these only say what the text is.
"""

from __future__ import annotations

import re

from faq import regexes
from faq.questions import asking_units, asks_something

#: Credit bureaus outside mainland China: Taiwan's 金融聯合徵信中心 (聯徵, JCIC), Hong Kong's credit reference
#: agencies (環聯 / TransUnion, "TU").
_OTHER_BUREAU = regexes.lazy(r"联征|联合征信|jcic|环联|transunion|(?<![a-z])tu(?![a-z])", re.IGNORECASE)
#: A message that opens with thanks or a greeting.
_COURTESY_OPENING = regexes.lazy(
    r"\s*(?:(?P<thanks>谢谢|多谢|感谢|thanks|thank you)|(?P<greeting>早上好|早安|午安|晚上好|你好|您好|哈喽|hello|hi(?![a-z])))"
)
#: Asking which lender, app or place will lend ("还有哪个app能借钱", "有贷款的平台吗", "哪里能借到", "去哪借",
#: "两家哪个更容易下款").
_ASKS_WHERE_TO_BORROW = regexes.lazy(
    r"(?:哪个|哪些|什么|有没有|还有|哪家|哪里|哪间|边间|有冇)\S{0,6}(?:app|软件|平台|口子|地方|网贷|贷款)\S{0,4}"
    r"(?:能借|可以借|借钱|贷款|下款|借到)|有\S{0,4}贷款的平台|能借钱的(?:app|软件|平台)"
    r"|哪里(?:还)?(?:能|可以)(?:借|贷)|去哪(?:里|儿)?借"
    r"|(?:哪个|哪家|哪间|边间)\S{0,3}(?:更|比较|最)?(?:容易|好)(?:下款|批|借|过)"  # which lender approves more easily
)
#: The same request in English: which app or lender will lend, where to get a loan, a need to borrow ("which app
#: can lend me 3000", "where can I get a loan with bad credit", "I need to borrow 2000 by Friday"). Read only
#: when the message shows no trouble with a debt ("I need to borrow to pay my overdue loan" is that trouble).
_ASKS_TO_BE_LENT_EN = regexes.lazy(
    r"(?<![a-z])(?:(?:which|what|any|an?)\s+(?:loan\s+|lending\s+)?(?:apps?|platforms?|lenders?|websites?|sites?|banks?)"
    r"\s+(?:that\s+|can\s+|will\s+|to\s+|would\s+)?(?:lends?|loans?|borrow|approves?|gives?\s+(?:me\s+)?(?:a\s+)?loans?)"
    r"|where\s+(?:can|do|could|should)\s+i\s+(?:get\s+a\s+loan|borrow)"
    r"|(?:i\s+)?(?:need|want|have)\s+to\s+borrow|(?:can|could|would)\s+you\s+lend\s+me|lend\s+me\s+\d)(?![a-z])",
    re.IGNORECASE,
)
#: What may follow a request for a lender within its question: particles, 钱, 到 ("哪里能借到钱啊").
_AFTER_BORROWING = regexes.lazy(r"[到钱啊呀呢吗么嘛吧啦的了哦喔\s]*")
#: Asking where or whether one can borrow, anywhere in a message ("哪家不查联征也能借", "边间财务公司肯借俾我").
_ASKS_TO_BORROW = regexes.lazy(r"肯借|能借|可以借|借得到|借到钱|借钱给我|借钱俾我|借俾我|哪家|哪间|边间|哪个平台|哪里借|去哪借|下款")
#: Borrowing anew to repay what is already owed ("借新还旧", "再借一笔来还之前的"), to fill a hole ("借钱补窟窿",
#: "贷款去填坑"), one lender repaid with another's money ("东借西还"), or a cheaper loan to replace a dearer one ("拿利率低的消费贷替掉网贷"): a question about managing
#: debts, not a request for a loan.
_BORROWS_TO_REPAY = regexes.lazy(
    r"借新还旧|以贷养贷|拆东墙补西墙|借[^ ]{0,6}新的?[^ ]{0,4}(?:来|去|拿来|用来)?还(?:旧|之前|以前|原来|老|前面)"
    r"|(?:借|贷)[^ ]{0,6}(?:补|填)[^ ]{0,6}(?:窟窿|坑|漏洞|缺口)"
    r"|(?:低息|低利率|利息低|利率低)[^ ]{0,8}(?:换掉|置换|替换|替掉|还掉|顶掉)[^ ]{0,6}(?:高息|高利|利息高|网贷|信用卡)"
    # one lender repaid with another's money: "东借西还", "从别的平台借出来还这家"
    r"|东借西还|(?:从|在|找)(?:另一个|另一家|另外一?[个家]|别的|其他的?|其它的?)[^ ]{0,4}借[^ ]{0,4}还"
)
#: Working in debt collection, or meaning to (a job, its pay, its licence), or opening a collection business.
_COLLECTION_JOB = regexes.lazy(
    r"在催收(?:公司|机构)(?:上班|工作|做|干)|(?:我是|我在)做催收|做催收(?:的工作|这行|这一行|工作)"
    r"|(?:应聘|应征|招聘|面试|入职|想当|去当|想做|转行做?)\S{0,2}催收|成为\S{0,4}催收(?:员|人员|专员)"
    r"|催收(?:员|人员|专员|行业)\S{0,3}(?:工资|待遇|薪水|提成|学历|前途|招人)"
    r"|(?:开|办|注册|成立)(?:一家|一个|间)?催收公司"
    # the trade's own future, or a career in debt law ("催收这行还有没有前途", "以后想当专打债务官司的律师")
    r"|催收(?:(?:这个|这一?)(?:行业|行当|行)|行业|行当)\S{0,6}(?:前景|前途|未来|以后|将来|消失|淘汰|发展|好不好干|好做吗)"
    r"|(?:想|打算|准备|立志)\S{0,6}(?:当(?![地面时天场])|做|成为)\S{0,10}律师(?!咨询|函|费|帮|来|给)"
    r"|当(?![地面时天场])\S{0,10}律师(?:要|需要|得)\S{0,2}(?:考|读|学)"
)
#: Good news about a debt: repaid, settled, an agreement reached, relief (not "还没还清", "未解决").
_SETTLED = regexes.lazy(r"(?<![没未不冇])(?:上岸|还清|结清|还完|还上|还晒|解决|搞定|谈好|谈妥|倾好|松了|松咗|轻松|好多了)")

#: A mortgage or a car loan, by name (房贷, 按揭, 车贷, 汽车贷款, 买房贷款 ...).
_HOME_OR_CAR_LOAN = regexes.lazy(
    r"房贷|按揭|车贷|(?:汽车|买车|购车|买房|购房|住房|房屋|公积金)贷款"
    r"|(?<![a-z])(?:mortgages?|(?:car|auto|home|housing)\s+loans?)(?![a-z])",
    re.IGNORECASE,
)
#: Any sign of trouble with a debt: late, unpaid, collected, sued, the credit record, fear of the law, a fee
#: disputed, a hard choice between debts ("车贷逾期会打给我父母吗", "房贷有冇宽限期", "该先缴哪一个").
_DEBT_TROUBLE = regexes.lazy(
    r"逾期|算期|迟|晚了|晚[^ ]{0,4}[还交缴供]|拖|还能(?:办|贷|批|申请|借)|批不下|办不了|贷不到|余额不足|扣款失败|扣不"
    r"|延期|延长|展期|缓|晚点|(?:几个月|几天|一段时间)再?还|降低月供|减少月供|少还|停息|困难|收入|失业|没钱|不够|还不"
    r"|去世|过世|继承|遗产|离婚|配偶|担保人|断供|还不上|还不起|还不了|交不起|供不起|缴不出|没还|未还|不还|欠|催|收数|追数"
    r"|起诉|告|法院|判|执行|失信|征信|联征|环联|(?<![a-z])tu(?![a-z])|坐牢|抓|警|宽限|减免|协商|分期还|罚息|滞纳"
    r"|合法|违法|违规|合理|高利|骗|套路|投诉|举报|威胁|上门|收车|扣车|拖车|拍卖|收楼|收房|电话|短信|打给|找我"
    r"|家人|家里|父母|爸妈|亲戚|朋友|同事|单位|通讯录|联系人|压力|负债|先(?:还|缴|交|保)哪|哪(?:一)?个先|还不过来"
    r"|优先|几笔|网贷"  # other debts beside it: juggling several ("车贷 还有两家网贷 好几笔 怎么排优先")
    r"|先还\S{0,12}还是|还是先还"  # which of them to repay first ("先还卡还是先还借的那笔")
    r"|(?:工资|月薪|薪水)(?:才|只有|就|都不够)"  # payments beside a wage that cannot meet them ("工资才三千")
    r"|凑不|拿不出|手头紧|钱紧|差(?!不多)[^ ]{0,3}(?:钱|块|千|万|一半|一点)"  # short of the money
    r"|过了?还款日|过了?到期日|顺延|推迟|往后推"  # past the due date, or asking to move a payment later
    r"|个性化"  # a personalised instalment plan: the relief a borrower in hardship asks the bank for
    # the same signs in English ("car loan 2 months overdue", "the collector keeps calling", "can they sue me")
    r"|(?<![a-z])(?:overdue|late|behind|collect\w*|harass\w*|sue[ds]?|suing|court|lawsuit|police|jail|prison"
    r"|arrest\w*|threat\w*|can'?t pay|cannot pay|unable to pay|miss(?:ed)?\s+(?:a\s+)?payments?|default\w*"
    r"|owe[ds]?|owing|debts?|calls?|calling|contacts?|family|parents|hardship|unemployed|illegal|legal|scam\w*"
    r"|credit\s+(?:report|record|score|history))(?![a-z])",
    re.IGNORECASE,
)
#: The reader says the debt is not late, or not yet due ("我一期都没逾期", "从未迟还过", "还款日还有九天", "离到期还早",
#: "not overdue"): no trouble, whatever the word 逾期 in it suggests.
_NOT_LATE = regexes.lazy(
    r"(?:没|未|沒|冇|从没|從沒|从未|從未|从来没|從來沒|并没|並沒|还没|還沒|都没)有?(?:逾期|过期|迟还|晚还|迟缴|遲繳|迟交)过?"
    r"|还没到期|未到期|没到期|没到还款日|还没到还款日|还款日还有|离还款日还有|还有\S{0,4}(?:天|日)才?(?:到期|还款)"
    r"|(?<![a-z])(?:not|never|isn'?t|wasn'?t|haven'?t been|not yet)\s+(?:been\s+)?(?:overdue|late|due)(?![a-z])",
    re.IGNORECASE,
)


def _in_trouble(normalized: str) -> bool:
    """Whether the message shows trouble with a debt (_DEBT_TROUBLE), once what denies lateness is set aside
    ("房贷一期没逾期过 想一次还掉二十万 罚不罚钱" shows none)."""
    return _DEBT_TROUBLE.search(_NOT_LATE.sub(" ", normalized)) is not None

#: Someone (a stranger, an agent, an advert) offering to wipe or repair a credit record, or to "optimise" debts:
#: "有人说交钱能帮我修复征信", "中介称可以消除逾期记录", "网上说能把黑名单洗白".
_OFFERS_TO_CLEAN = regexes.lazy(
    r"(?:说|话|讲|称|保证|承诺|号称|广告|中介|有人|公司|机构)[^ ]{0,8}(?:能|可以|帮|包|保)[^ ]{0,4}"
    r"(?:消除|删除|删掉|修复|洗白|抹掉|清除|清掉|铺|优化)"
)


def offers_to_clean_a_record(normalized: str) -> bool:
    """Whether the message reports someone offering to wipe or repair a credit record, or to "optimise" debts
    ("有人加我说能帮我消除逾期记录 真的吗"): the paid-repair scam, not a question about how long a record stays
    ("逾期记录能消除吗", "还清后多久能删除" ask that: nobody offers anything)."""
    return _OFFERS_TO_CLEAN.search(normalized) is not None


#: A work landline or switchboard (单位座机, 公司总机, 公司的固话).
_WORK_LANDLINE = regexes.lazy(r"(?:单位|公司|工作单位|厂|办公室)的?(?:座机|总机|固话|固定电话)")
#: Calls that already happen again and again, or a question whether they may: what makes calls a question of
#: their frequency and legality ("一直打", "一上午打了8次", "这样合法吗", "能不能让他们别打").
_CALLS_AGAIN = regexes.lazy(r"一直|不停|天天|每天|日日|成日|老是|总是|反复|(?:\d+|[一二两三四五六七八九十几]+)[次回遍]|好多[次回遍]|合法|违规|违法|骚扰|别再?打|不要再?打|唔好再?打")
#: The debt told to someone at work: the contacts topic ("跟我同事说我欠钱", "透露").
_DEBT_TOLD = regexes.lazy(r"(?:说|讲|话|告诉)[^ ]{0,6}(?:欠|爭|争)|透露|曝光|欠钱的事|欠款的事")


def calls_a_work_landline(normalized: str) -> bool:
    """Whether the message tells of collection calls to a work landline, again and again or asking whether they
    may ("催收一直打我单位座机 合法吗"), without the debt being told to anyone there: how often and when they may
    call (not who is told, the contacts topic: "打到公司总机跟前台说我欠钱")."""
    return (
        _WORK_LANDLINE.search(normalized) is not None
        and _CALLS_AGAIN.search(normalized) is not None
        and _DEBT_TOLD.search(normalized) is None
    )


def asks_about_a_home_or_car_loan(normalized: str) -> bool:
    """Whether the message asks about a mortgage's or a car loan's ordinary terms, with no sign of trouble
    with a debt ("房贷提前还款要手续费吗", "车贷首付几成", "按揭利率几多"): a banking question, not a borrower's
    trouble. "车贷晚还了几天 会上征信吗", "房贷断供了银行会找我家人吗", "房贷有冇宽限期", "以后还能办房贷吗" (after a
    bad record), "收入少了 车贷能申请延期吗" are troubles."""
    return _HOME_OR_CAR_LOAN.search(normalized) is not None and not _in_trouble(normalized)


#: A credit card or a shopping-credit account by name (信用卡, 花呗, 白条, "credit card"), and a card bill.
_CARD = regexes.lazy(r"信用卡|信用咭|花呗|白条|卡的?(?:账单|年费|额度)|账单分期|(?<![a-z])(?:credit\s*card|huabei)", re.IGNORECASE)
#: A card's ordinary terms: its instalments, fee, limit, points, statement date, applying for one (not its due
#: date alone: what happens around it is the grace period's question).
_CARD_TERMS = regexes.lazy(
    r"分期|年费|申请|办卡|开卡|办理|开通|额度|提额|积分|里程|账单日|手续费|利息|免息|零利率|划算|区别|最低还|还最低"
    r"|(?<![a-z])(?:apply\w*|application|annual\s+fee|limit|points|instal+ments?)(?![a-z])",
    re.IGNORECASE,
)
#: What a borrower whose loan is not yet due may ask about its terms: repaying early or in part, moving the due
#: date, paying with a card, its fees ("提前结掉罚不罚息", "先还一半行不行", "还款日能不能调到发薪那天").
_EARLY_OR_TERMS = regexes.lazy(
    r"提前还|提前结清|先还|还一部分|还一半|部分还款|还款日\S{0,4}(?:改|换|调)|(?:改|换|调)\S{0,3}还款日|用信用卡还|手续费|违约金"
    r"|(?<![a-z])(?:pay\s+(?:it\s+)?(?:off\s+)?early|prepay\w*|repay\w*\s+early)(?![a-z])",
    re.IGNORECASE,
)


def asks_about_ordinary_card_or_loan_terms(normalized: str) -> bool:
    """Whether the message asks about a credit card's (or shopping credit's) ordinary terms, or about repaying a
    loan that is not late ("农行那张卡的年费能不能不扣", "花呗分期买手机 6期要多付多少", "白条的额度为啥一直不涨",
    "离还款日还有一礼拜 现在结清收手续费不", "从未晚还过 还款日能调一调吗"), with no sign of trouble with a debt: a banking question, not a borrower's trouble.
    "卡刷爆了还不上 能拆几期吗", "卡已经晚还两期 年费照扣吗" and "打算找银行谈个性化分期" are troubles."""
    if _in_trouble(normalized):
        return False
    if _CARD.search(normalized) is not None and _CARD_TERMS.search(normalized) is not None:
        return True
    return _NOT_LATE.search(normalized) is not None and _EARLY_OR_TERMS.search(normalized) is not None


#: A loan's rate stated as a figure ("年化7.2%", "利率3.1%", "月息1.5%").
_STATED_RATE = regexes.lazy(r"(?:年化|年利率|年息|月息|月利率|日息|日利率|利率)\s*(?:是|为|约)?\s*\d+(?:\.\d+)?\s*[%％]")
#: A new loan's instalments given ("分12期", "分24个月还"): its payment to be worked out, like a stated rate.
_INSTALMENTS_GIVEN = regexes.lazy(r"分\s*[\d一二两三四五六七八九十]+\s*(?:期|个月)")
#: Asking for an amount to be worked out: the interest, the payment, the total ("帮我算一下", "一年利息是多少",
#: "每个月要还多少", "月供多少").
_ASKS_TO_CALCULATE = regexes.lazy(
    r"帮我算|帮忙算|算一下|算算|利息(?:是|有|要|得)?多少|(?:每个?月|每期|一年|总共|一共)\S{0,3}(?:要|得)?还多少|月供(?:是|要)?多少"
)
#: Asking what a loan or a product costs ("某某贷的年利率大概多少", "信用贷一年利息咋算", "装修贷利率高不高").
_ASKS_THE_RATE = regexes.lazy(
    r"(?:利率|利息|年化)(?:是|有|大概|一般)?(?:多少|几多|怎么算|咋算|点计)|一年(?:要)?多少钱|(?:利率|利息)\S{0,2}(?:高不高|多高)"
)
#: Words that make a rate a question about its fairness or legality (合法, 高利贷, 超过, 正常吗, 法律保护的, 实际年化,
#: 是不是太高了 ...), beside _DEBT_TROUBLE's. (A product's "利率高不高" is a price question.)
_RATE_DOUBT = regexes.lazy(r"正常|超|坑|贵|黑|砍头|高利|法律|法定|上限|保护|实际|真实|合理|离谱|[太很好过偏]高|高了")


def asks_to_calculate_a_loan(normalized: str) -> bool:
    """Whether the message asks what a loan costs, or states its rate or instalments and asks for its interest or
    payments to be worked out, with no sign of trouble with a debt nor a doubt about the rate ("借2万 年化12% 算算一年利息多少",
    "贷5万分24期 年化9% 每期还多少", "某某贷的年利率大概多少"): a price or a calculator's errand, out of scope
    (every such message of the dev sets is labelled so). "借1万 年化24% 合法吗", "年化36%算不算高利贷", "法律保护的利率
    是多少" and "逾期了 利率24% 每月要还多少" doubt the rate or owe."""
    if _DEBT_TROUBLE.search(normalized) is not None or _RATE_DOUBT.search(normalized) is not None:
        return False
    given = _STATED_RATE.search(normalized) is not None or _INSTALMENTS_GIVEN.search(normalized) is not None
    stated = given and _ASKS_TO_CALCULATE.search(normalized) is not None
    return stated or _ASKS_THE_RATE.search(normalized) is not None


#: A debt that is owed and in trouble, named by itself ("还不上", "欠了两万", "催收", "透支").
#: (Not 催收 alone: "催收这行辛不辛苦", "开个催收公司要什么手续" speak of the trade; not 欠了 alone: someone else's debt told.)
_DEBT_IN_TROUBLE = regexes.lazy(
    r"还不上|还不起|还不了|还唔起|拖欠|欠款|欠债|欠钱|负债|透支|卡债"
    r"|欠[^ ]{0,3}(?:网贷|贷款|信用卡|花呗|白条|借呗|口子|平台)"
)
#: Late or unpaid, said of a loan only when a loan is named beside it ("会员卡逾期了" is no debt), and not
#: denied ("没有迟缴过").
_LATE = regexes.lazy(r"(?<![没沒未冇])(?<!没有)(?<!沒有)(?<!从未)(?:逾期|迟还|晚还|迟缴|遲繳)|没还|未还|不还")
#: The reader is the one owed ("朋友欠我三千不还", "佢欠咗我钱"): a lender's question, not a borrower's.
_OWED_TO_ME = regexes.lazy(r"欠(?:了|咗)?我")
_LOAN = regexes.lazy(r"贷|借款|借钱|信用卡|花呗|白条|借呗|口子|分期|欠")


def speaks_of_an_overdue_debt(normalized: str) -> bool:
    """Whether the message is about a debt owed and in trouble: "网贷拖着没还 求指点", "欠了一身卡债怎么走出来", "信用卡透支
    还不上"; not "会员卡逾期了" or "护照逾期" (late, but no loan), nor a debt paid off ("已经还清了"), nor a
    message that asks where to borrow."""
    if _SETTLED.search(normalized) is not None or asks_to_borrow(normalized) or _OWED_TO_ME.search(normalized):
        return False  # (paid off, asking where to borrow: "哪家银行利率低", or the reader is owed: "朋友欠我钱")
    if _DEBT_IN_TROUBLE.search(normalized) is not None:
        return True
    return _LATE.search(normalized) is not None and _LOAN.search(normalized) is not None


def names_other_bureau(normalized: str) -> bool:
    """Whether the message names Taiwan's or Hong Kong's credit bureau ("會被報到聯徵嗎", "會唔會上TU")."""
    return _OTHER_BUREAU.search(normalized) is not None


def asks_to_borrow(normalized: str) -> bool:
    """Whether any part of the message asks where or whether one can borrow ("边间财务公司唔查TU都肯借")."""
    return _ASKS_TO_BORROW.search(normalized) is not None


#: Asking to be lent money: "能借我五千吗", "借点钱给我", "可以贷给我吗", "肯唔肯借俾我".
_LEND_ME = regexes.lazy(r"(?:借|贷)(?:点|些|一点|一些|几千|几百)?(?:钱)?(?:给|俾)我|(?:借|贷)我|借俾我|肯借")


def asks_for_a_loan(normalized: str) -> bool:
    """Whether the message asks to be lent money ("你们能借我五千周转一下吗"), not where or whether one can borrow
    in general (asks_to_borrow) nor a question that only names a lender ("分给哪个平台")."""
    return _LEND_ME.search(normalized) is not None


#: A question that ends asking how or where to repay ("现在该去哪儿还款", "换什么方式还呢"): paying back a debt, never
#: a request for a loan, whatever words of channels it shares with one.
_ASKS_WHERE_TO_REPAY = regexes.lazy(
    r"(?:渠道|方式|途径|办法|地方|哪里|哪儿|哪|怎么|如何|咋)[^ ]{0,2}还(?:钱|款|上|清)?[吗呢啊呀吧]?$"
)


def asks_where_to_repay(question: str) -> bool:
    """Whether a question asks how or where to pay a debt back (see _ASKS_WHERE_TO_REPAY)."""
    return _ASKS_WHERE_TO_REPAY.search(question.strip()) is not None


def borrows_to_repay(normalized: str) -> bool:
    """Whether the message speaks of borrowing anew to repay old debts ("该不该借个新的来还旧的")."""
    return _BORROWS_TO_REPAY.search(normalized) is not None


def only_asks_where_to_borrow(normalized: str) -> bool:
    """Whether every question of the message asks where to borrow, each ending with that request ("还有哪个app能
    借钱", "征信花了 哪里能借到钱啊"), or, when nothing in it reads as a question, a clause ends with it ("求推荐能借钱
    的app"). "哪个平台借钱会爆通讯录" and "什么平台贷款逾期会被起诉" ask about collection."""

    def ends_with_request(text: str) -> bool:
        rest_of_clause = (text[found.end() :].split(" ", 1)[0] for found in _ASKS_WHERE_TO_BORROW.finditer(text))
        return any(_AFTER_BORROWING.fullmatch(rest) for rest in rest_of_clause)

    if _ASKS_TO_BE_LENT_EN.search(normalized) is not None and not _in_trouble(normalized):
        return True  # "which app can lend me 3000 fast", "I need to borrow 2000 by Friday, any app?"
    if _ASKS_WHERE_TO_BORROW.search(normalized) is None:
        # (most messages) no request anywhere: none in any of its questions either, each a piece of the message
        # and the pattern without anchors or lookarounds; its questions need not be read
        return False
    units = asking_units(normalized)
    if units:
        return all(ends_with_request(question) for question, _ in units)
    return ends_with_request(normalized)


#: The people a reader lends to (a friend, a colleague, a relative ...), by the words they are named with.
_BORROWER_PEOPLE = (
    r"(?:个|位|嘅)?(?:旧|老|前)?(?:他|她|佢|朋友|别人|同事|亲戚|表[哥弟姐妹]|堂[哥弟姐妹]|同学|邻居|老乡|室友|舍友|发小|闺蜜|兄弟|老友"
    r"|前男友|前女友|男朋友|女朋友|客户|friend|朋友仔)"
)
#: An amount as written between a verb and its object ("借了三千二给发小", "借咗2000俾佢"): a short number with its
#: unit.
_LENT_AMOUNT = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万几]+)(?:块钱?|元|蚊|万|千|k|w)?(?:钱)?"
#: The reader is the lender: someone owes the reader ("同学欠我两千", "前女友借了我一万", "佢借咗我三千"), borrowed from
#: the reader ("表姐跟我借了五千"), or the reader lent ("借给老同学的钱", "借了八百给室友", "放款给朋友"), or a friend
#: or colleague who owes and will not pay (the reader's own debt is never told so: "舍友借钱老是赖账"); in English,
#: "my cousin owes me 2k", "I lent my roommate 500", "he borrowed 300 from me", "she never paid me back". Not a
#: collector's words to the reader ("你欠我们的钱", "you owe me"), nor a bare 跟我借钱 (it may be the reader's own
#: borrowing: "与我借钱何干"), only 跟我借了 / 借过.
_OWED_TO_THE_READER = regexes.lazy(
    r"(?<![你您])(?:欠|借了|借咗|借走了?|借走咗)(?:我|咗我)(?![们哋司])"
    r"|(?<![你您])(?:跟|找|向|问)我借(?:了|咗|过|走)"
    r"|放(?:贷|款|数)(?:给|俾|畀)(?:别人|朋友|他|她|人)"
    # the reader lends for a living ("我是放贷的", "我系做放数嘅")
    r"|我(?:是|系|做)(?:做|个)?(?:放贷|放款|放数|民间借贷)(?:的|嘅|生意)"
    r"|(?<![要想])借(?:了|咗)?(?:" + _LENT_AMOUNT + r")?(?:钱)?(?:给|俾|畀)(?:了|咗)?" + _BORROWER_PEOPLE
    + r"|(?<!我)(?:朋友|同学|同事|邻居|老乡|室友|舍友|发小|闺蜜|前男友|前女友)(?:欠钱|借钱|借了钱|欠债)(?:一直|总是|老是)?(?:不还|唔还|赖账|不给)"
    r"|(?<![a-z])(?<!you\s)(?:owes?|owed|owing)\s+me(?![a-z])"
    r"|(?<![a-z])(?:i\s+)?(?:lent|loaned)\s+(?:my|his|her|him|them|a\s+friend|some|money|\d|\$)"
    r"|(?<![a-z])borrowed\s+(?:\S+\s+){0,3}from\s+me(?![a-z])"
    r"|(?<![a-z])(?:pay|pays|paid|paying|give|gives|gave)\s+me\s+(?:my\s+money\s+)?back(?![a-z])",
    re.IGNORECASE,
)
#: The reader's own debt or its collection beside it ("我也欠了网贷", "我实在还不起", "催收找我", "说要起诉我", "上了
#: 征信", "我给他做了担保"): the reader may be a borrower too (a debtor's wages owed to them, say), and the message is
#: read as usual. Not the reader asking how to collect what they lent ("自己要怎样催收才不犯法", "请催收公司替我讨").
_READERS_OWN_DEBT = regexes.lazy(
    # (not "不是我欠钱": the reader says the debt is not theirs)
    r"(?<![借跟找向问])(?<!不是)(?<!唔系)(?<!又不是)我(?:自己|也|还|都|才|又){0,3}(?:欠|借了|借咗|的网贷|网贷|逾期)(?!我|[^\s给俾畀]{0,6}(?:给|俾|畀))"
    r"|我\S{0,3}还(?:不上|不起|不了|唔到|唔起)"
    r"|(?:告|起诉|抓|催|追|逼)我|打给我|打我|找我(?!借)|上门|征信|紧急联系人|通讯录|担保|连带"
    r"|(?<!怎么)(?<!怎样)(?<!如何)(?<!咋)(?<!找)(?<!请)(?<!委托)催收"
    r"|(?<![a-z])(?:i\s+(?:also\s+|still\s+|too\s+)?(?:owe|borrowed|am\s+overdue)|collectors?|calling\s+me|sue\s+me"
    r"|my\s+(?:credit|loans?|debts?))(?![a-z])",
    re.IGNORECASE,
)


def speaks_of_money_owed_to_the_reader(text: str) -> bool:
    """Whether the reader is the creditor, not the borrower ("发小借了我八百 半年没还 能告他吗", "借给同学的钱要不
    回来"), with no debt of the reader's own or collection from the reader beside it."""
    return _OWED_TO_THE_READER.search(text) is not None and _READERS_OWN_DEBT.search(text) is None


def speaks_of_a_collection_job(text: str) -> bool:
    """Whether the text speaks of working in debt collection, or meaning to ("在催收公司干了两年", "应聘催收员要什么
    证"), not of being collected from ("催收人员有没有资格这样骂我")."""
    return _COLLECTION_JOB.search(text) is not None


def courtesy_with_good_news(normalized: str) -> str | None:
    """"thanks" or "greeting" when the message opens with one, brings good news about a debt and asks nothing
    ("谢谢你 昨天跟客服谈好了分期 终于上岸了"); else None ("谢谢 可我还没还清 催收天天打给我爸妈" is a trouble)."""
    opening = _COURTESY_OPENING.match(normalized)
    if opening is None or asks_something(normalized) or _SETTLED.search(normalized) is None:
        return None
    return "greeting" if opening.group("greeting") else "thanks"
