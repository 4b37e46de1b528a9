"""faq.readings: what a message is, read by rule (pure functions over the normalised text)."""

from __future__ import annotations

import pytest

from faq.normalize import normalize
from faq.readings import (
    asks_about_a_home_or_car_loan,
    asks_about_ordinary_card_or_loan_terms,
    asks_for_a_loan,
    asks_to_borrow,
    asks_to_calculate_a_loan,
    borrows_to_repay,
    calls_a_work_landline,
    courtesy_with_good_news,
    names_other_bureau,
    offers_to_clean_a_record,
    only_asks_where_to_borrow,
    speaks_of_a_collection_job,
    speaks_of_an_overdue_debt,
    speaks_of_money_owed_to_the_reader,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("遲繳兩期 會不會被報到聯徵", True),
        ("拖咗三個月 會唔會上TU", True),
        ("環聯報告點樣攞", True),
        ("逾期会上征信吗", False),
        ("stupid collector", False),  # "tu" inside a word is no bureau
    ],
)
def test_names_other_bureau(text: str, expected: bool) -> None:
    assert names_other_bureau(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("还有哪个app能借钱", True),
        ("征信花了 还有哪个app能借钱", True),
        ("急用钱 哪里能借到钱啊", True),
        ("求推荐能借钱的app", True),
        ("学驾照 有贷款的平台吗", True),
        # the question goes on past the lender: it asks about collection
        ("哪个平台借钱会爆通讯录", False),
        ("什么平台贷款逾期会被起诉", False),
        ("哪家网贷借钱后催收最狠 会打给家人吗", False),
        # a second question that is not a request for a lender
        ("哪里能借到钱 逾期了会坐牢吗", False),
        ("逾期十天会上征信吗", False),
        # in English
        ("which app can lend me 3000 by tonight", True),
        ("I need to borrow 2000 for rent, any lender that approves fast?", True),
        ("I need to borrow again to pay my overdue loans, is that smart", False),  # a trouble: managing debts
    ],
)
def test_only_asks_where_to_borrow(text: str, expected: bool) -> None:
    assert only_asks_where_to_borrow(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"), [("边间财务公司唔查TU都肯借", True), ("哪家不查征信也能借", True), ("会被起诉吗", False)]
)
def test_asks_to_borrow(text: str, expected: bool) -> None:
    assert asks_to_borrow(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("在催收公司干了两年 这工作犯法吗", True),
        ("我在催收公司上班 想问问提成怎么算", True),
        ("应聘催收员要什么证", True),
        ("想开一家催收公司 要什么手续", True),
        # acc24: the trade's own future, a career in debt law
        ("催收这一行将来还吃香吗 会不会被淘汰", True),
        ("当了律师得先读几年书", True),
        ("以后想成为一名律师 专门打借贷官司", True),
        ("我想找个律师帮我应诉", False),  # a borrower hiring one
        ("催收行业有没有规定不能骂人", False),  # the trade's rules, asked by the one collected from
        ("催收人员有没有资格这样骂我", False),
        ("催收天天打我电话", False),
    ],
)
def test_speaks_of_a_collection_job(text: str, expected: bool) -> None:
    assert speaks_of_a_collection_job(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("谢谢你 昨天跟客服谈好了分期 终于上岸了", "thanks"),
        ("早上好 今天终于把那笔还清了", "greeting"),
        ("谢谢 可我还没还清 催收天天打给我爸妈", None),  # 没还清: no good news
        ("谢谢 还清以后征信多久能恢复呢", None),  # a question
        ("催收说要起诉我", None),  # no courtesy
    ],
)
def test_courtesy_with_good_news(text: str, expected: str | None) -> None:
    assert courtesy_with_good_news(normalize(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("车贷的手续费一般收几个点", True),
        ("房贷的保险费是按什么标准收的", True),
        ("按揭供二十年定三十年好", True),
        ("公积金贷款可以提前还清吗", True),
        # a sign of trouble with the debt: a borrower's question
        ("车贷晚了两天还 会上征信吗", False),
        ("房贷断供了 银行会不会收房", False),
        ("车贷公司天天打电话给我爸妈 合法吗", False),
        ("以前网贷逾期过 以后还能办房贷吗", False),
        ("房贷车贷信用卡 工资不够 先还哪个", False),
        ("换了工作收入少了 车贷能不能申请延长还款期限", False),
        ("房贷扣款那天卡里余额不足 第二天补上算逾期吗", False),
        ("我爸去世了 房贷还剩二十万 我们要接着还吗", False),  # a debt inherited: who must repay
        ("征信花了怎么办", False),  # no mortgage or car loan named
        ("车贷加上三个网贷 一共好几笔 该按什么顺序还", False),  # juggling several debts
        ("房贷和两张信用卡 每月钱不多 怎么排优先级", False),
        # lateness denied is no trouble; English names and troubles too
        ("房贷从来没逾期过 提前还一部分要违约金吗", True),
        ("mortgage of 900k, can I pay a chunk of it early", True),
        ("car loan two months overdue, will they take the car", False),
    ],
)
def test_asks_about_a_home_or_car_loan(text: str, expected: bool) -> None:
    assert asks_about_a_home_or_car_loan(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a card's or shopping credit's ordinary terms
        ("农行信用卡年费三百 可以不交吗", True),
        ("白条分9期 手续费一共多少", True),
        ("花唄額度只有一千五 點樣加", True),
        ("how do I get the annual fee on my credit card waived", True),
        ("招行信用卡这期账单能只还最低吗 还款日在下周", True),  # acc24: the minimum payment
        # a loan that is not late: repaying early, in part, moving the due date
        ("借呗离还款日还有六天 现在还清要违约金吗", True),
        ("我从没迟还过 微粒贷还款日可以换到月底吗", True),
        ("the loan is not due yet, can I repay early without a fee", True),
        # trouble with the debt: a borrower's question
        ("信用卡欠了四万多还不起 能分期吗", False),
        ("白条逾期一周了 手续费还要交吗", False),
        ("打算和银行谈个性化分期 需要哪些材料", False),
        ("还款日还有两天 可钱凑不齐 先还掉两千可以吗", False),
        ("credit card is late and the collector keeps calling, can I split the bill", False),
        ("借呗提前还款怎么操作", False),  # not said to be on time: left to the matcher
        # several debts and which to repay first, or payments a wage cannot meet: a borrower's trouble
        ("花呗白条都出了账单 先还利息高的还是先还额度大的", False),
        ("信用卡加上两笔分期 每月要还六千 工资才四千 利息怎么这么多", False),
    ],
)
def test_asks_about_ordinary_card_or_loan_terms(text: str, expected: bool) -> None:
    assert asks_about_ordinary_card_or_loan_terms(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("有人加我微信说能消除征信不良记录 是真的吗", True),
        ("中介称可以帮忙修复逾期记录 先交定金", True),
        ("有公司说能帮我把征信洗白", True),
        ("有人说能帮我做债务优化", True),
        # nobody offers anything: how long a record stays
        ("逾期记录能消除吗", False),
        ("还清以后多久能删除记录", False),
        ("征信有问题可以提异议修复吗", False),
    ],
)
def test_offers_to_clean_a_record(text: str, expected: bool) -> None:
    assert offers_to_clean_a_record(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("催收天天往我单位座机上打 违法吗", True),
        ("他们一下午打了五次公司总机找我", True),
        ("催收往我单位座机打了好几回", True),  # acc24: 回 / 遍 count calls as 次 does
        ("催收打到公司总机 跟前台说我欠钱不还", False),  # the debt told: the contacts topic
        ("会不会打到我单位座机", False),  # not happening yet, nothing asked about their calls
        ("催收一直打我手机 合法吗", False),  # no work landline
    ],
)
def test_calls_a_work_landline(text: str, expected: bool) -> None:
    assert calls_a_work_landline(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("借2万 年化12% 算算一年利息多少", True),  # a calculator's errand
        ("贷三万分24期 每个月要还多少", True),  # instalments given: the payment to work out
        ("借了三万分24期 现在逾期了 每个月要还多少", False),  # owed: a borrower's question
        ("某某贷的年利率大概多少", True),  # a product's price
        ("装修贷利率高不高", True),
        ("借1万 年化24% 合法吗", False),  # a doubt about the rate
        ("我借的这个利息一年多少钱 是不是太高了", False),
        ("这个利率合理吗 一年要多少钱", False),
        ("逾期了 利率24% 每月要还多少", False),  # owing
        ("法律保护的利率是多少", False),
    ],
)
def test_asks_to_calculate_a_loan(text: str, expected: bool) -> None:
    assert asks_to_calculate_a_loan(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("借网贷去补信用卡的窟窿 能行吗", True),  # borrowing to fill a hole
        ("贷一笔去填之前的坑", True),
        ("用利率低的消费贷替掉高息网贷 值不值", True),  # a cheaper loan to replace a dearer one
        ("家里的窟窿太大了", False),  # no borrowing
        ("哪个平台利息低", False),  # a loan request, nothing replaced
    ],
)
def test_borrows_to_repay(text: str, expected: bool) -> None:
    assert borrows_to_repay(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("网贷逾期了 求大神指点", True),
        ("欠信用卡的人该怎么办", True),
        ("花呗透支了还不起", True),
        ("会员卡逾期了还能续吗", False),  # late, but no loan
        ("身份证逾期没去换 会罚款吗", False),
        ("从来没有逾期过 信用贷哪家批得快", False),  # lateness denied, and a loan request
        ("已经还清了 以后还能借吗", False),  # paid off
        ("我表哥在催收公司上班 累吗", False),  # the trade, not a debt
        ("同学欠了我两千一直不还 怎么要", False),  # the reader is owed
    ],
)
def test_speaks_of_an_overdue_debt(text: str, expected: bool) -> None:
    assert speaks_of_an_overdue_debt(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你们能借我三千吗", True),
        ("可以借点钱给我周转吗", True),
        ("钱分给哪个平台先还", False),  # a lender named, nothing asked to be lent
        ("借了三万还不上", False),
    ],
)
def test_asks_for_a_loan(text: str, expected: bool) -> None:
    assert asks_for_a_loan(normalize(text)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("老同学欠我六千 一年多了 怎么要回来", True),
        ("前女友借了我八千块 电话拉黑了", True),
        ("表姐跟我借了一万说周转 现在不认账", True),
        ("借给邻居的两千块他赖着不给", True),
        ("佢借咗我八百 到而家都唔畀返", True),
        ("催收说你欠我们的钱必须今天还", False),  # a collector's words to the reader
        ("朋友欠我钱 我自己也借了三笔网贷", False),  # the reader owes too
        ("我借给朋友的钱他拿去还网贷了 现在催收打给我", False),  # collection from the reader
        ("装修队拖欠我工钱 我这才还不起信用卡 银行讲要告我", False),  # wages owed, the reader's own debt
        # an amount between lending and the borrower; Cantonese; a friend who will not pay; the reader collecting
        ("借了六百块给舍友 他毕业就消失了", True),
        ("借咗八千俾個舊同事 佢而家唔覆我", True),
        ("闺蜜借钱一直不还 电话也换了", True),
        ("我把钱放款给别人 他拖着不还 我可以怎样催收", True),
        ("我给同学担保 他借钱不还 银行找我要", False),  # a guarantor: the reader's own liability
        # the reader lends for a living; "I lent" with the amount first (借了/借咗 N 给/俾); "not that I owe"
        ("我系做放数嘅 有个客走佬咗 点搵佢", True),
        ("我借了两万五给发小 他说年底还", True),
        ("我借咗五千蚊俾個friend 佢唔覆我", True),
        ("不是我欠钱 是我堂哥欠我的 能告他吗", True),
        ("我借了两万五网贷 逾期了", False),  # the reader's own loan, no one lent to
        # English: someone owes the reader, the reader lent, never paid back
        ("my uncle owes me 4000 and stopped replying", True),
        ("I lent my roommate 700 and she moved out", True),
        ("a classmate borrowed 1200 from me last year", True),
        ("he never paid me back, can I take him to court", True),
        ("the collector said you owe me money, pay today", False),  # a collector's words
        ("my friend owes me 500 but I also owe 3 loan apps and they call me daily", False),  # the reader owes too
    ],
)
def test_speaks_of_money_owed_to_the_reader(text: str, expected: bool) -> None:
    assert speaks_of_money_owed_to_the_reader(normalize(text)) is expected
