"""Several suggestions per note, spans, languages, contacts, issues and the language registry."""

from __future__ import annotations

from datetime import datetime

import pytest

from rapport.ml.notes import (
    Suggestion,
    UnknownLanguageError,
    analyze,
    available_languages,
    get_language,
    register_language,
)
from rapport.ml.notes.contacts import phones
from rapport.ml.notes.languages.en import English

CREATED = datetime(2026, 5, 6, 15, 20)


def test_several_suggestions_in_one_note_with_spans_on_the_right_text() -> None:
    note = (
        "Send them the data sheet. Also, their VPN connection to our portal is broken again. "
        "And set up a demo with their architects next Wednesday at 11."
    )
    suggestions = analyze(note, CREATED)
    assert [s.type for s in suggestions] == ["content_request", "issue", "appointment"]
    for suggestion in suggestions:
        assert note[suggestion.span[0] : suggestion.span[1]] == suggestion.text
    content, issue, demo = suggestions
    assert "data sheet" in content.text and content.fields["content"] == "data sheet"
    assert "broken" in issue.text
    assert demo.text.startswith("demo") and demo.text.endswith("next Wednesday at 11")
    assert demo.fields["start"] == "2026-05-13T11:00:00"


def test_chinese_note_with_task_and_meeting() -> None:
    note = "提醒小刘明天更新销售预测。另外约CFO下周五上午9:30开会。"
    suggestions = analyze(note, CREATED)
    assert [(s.type, s.fields.get("due") or s.fields.get("start")) for s in suggestions] == [
        ("task", "2026-05-07T17:00:00"),
        ("appointment", "2026-05-15T09:30:00"),
    ]
    assert all(note[s.span[0] : s.span[1]] == s.text for s in suggestions)
    assert "更新" in suggestions[0].text


def test_spans_index_the_original_full_width_text() -> None:
    note = "備註：請安排下週一上午１０：３０和趙女士見面。"
    (suggestion,) = analyze(note, CREATED)
    assert note[suggestion.span[0] : suggestion.span[1]] == suggestion.text
    assert "１０：３０" in suggestion.text


def test_mixed_language_sentences() -> None:
    (meeting,) = analyze("明天上午10点 meeting with 王总 at their Shanghai office.", CREATED)
    assert (meeting.type, meeting.fields["start"]) == ("appointment", "2026-05-07T10:00:00")
    (call,) = analyze("明天10点call一下Jenny", CREATED)
    assert (call.type, call.fields["start"], call.language) == ("phone_call", "2026-05-07T10:00:00", "zh")
    per_sentence = analyze("Call Priya tomorrow at 9am. 客户投诉发票错误。", CREATED)
    assert [(s.type, s.language) for s in per_sentence] == [("phone_call", "en"), ("issue", "zh")]


def test_contacts_are_read_with_name_title_email_and_phone() -> None:
    note = "Intro from Mike: Julia Becker, Head of Operations at Tailspin, julia.becker@tailspin.de, mobile +49 151 2345 6789."
    (contact,) = [s for s in analyze(note, CREATED) if s.type == "contact"]
    assert contact.fields["name"] == "Julia Becker"
    assert contact.fields["job_title"] == "Head of Operations"
    assert contact.fields["email"] == "julia.becker@tailspin.de"
    assert contact.fields["phone"] == "+49 151 2345 6789"
    zh = [
        s
        for s in analyze("新联系人：陈静，采购经理，chenjing@fabrikam.cn，电话 138 1234 5678", CREATED)
        if s.type == "contact"
    ]
    assert [(c.fields["name"], c.fields["job_title"], c.fields["phone"]) for c in zh] == [
        ("陈静", "采购经理", "138 1234 5678")
    ]


def test_shared_mailboxes_and_call_numbers_are_not_contacts() -> None:
    suggestions = analyze("Send the corrected invoice copy to ap@contoso.com by Friday.", CREATED)
    assert [s.type for s in suggestions] == ["task"]
    (call,) = analyze("Call back +44 20 7946 0958 after 3pm tomorrow", CREATED)
    assert (call.type, call.fields["phone"]) == ("phone_call", "+44 20 7946 0958")


def test_phone_pattern_skips_dates_and_times() -> None:
    assert phones("Kick-off 2026-05-19 09:30, 10:00-12:00, invoice 4471") == []
    assert [p.value for p in phones("tel 555-201-7788 or 021-5555-0198 or 13812345678")] == [
        "555-201-7788",
        "021-5555-0198",
        "13812345678",
    ]


@pytest.mark.parametrize(
    "note",
    [
        "No need to call them this week, they are on holiday.",
        "这周不用给他们打电话，他们在休假。",
        "All good, no issues reported after go-live.",
        "上线后一切正常，没有问题。",
        "Sent the brochure and the price list on Friday.",
        "上周五已经把宣传册和价格表发过去了。",
        "We discussed the pilot scope on Monday. They will send feedback.",
        "",
        "   ",
    ],
)
def test_notes_with_nothing_to_do(note: str) -> None:
    assert analyze(note, CREATED) == []


def test_issue_and_content_request_fields() -> None:
    (issue,) = analyze("Customer complained that the last two invoices were charged twice.", CREATED)
    assert issue.type == "issue" and issue.fields["issue"].startswith("Customer complained")
    (request,) = analyze("客户想要物流项目的成功案例。", CREATED)
    assert (request.type, request.fields["content"]) == ("content_request", "成功案例")


def test_forced_language_and_unknown_language() -> None:
    assert analyze("明天上午给李经理打电话。", CREATED, "en") == []  # forced English reads no Chinese
    assert [s.type for s in analyze("明天上午给李经理打电话。", CREATED, "zh-CN")] == ["phone_call"]
    with pytest.raises(UnknownLanguageError, match="registered: en, zh"):
        analyze("Appelez Marie demain.", CREATED, "fr")


def test_a_new_language_is_a_registered_module() -> None:
    class Pirate(English):
        code = "xp"  # a made-up code so the test leaves en/zh untouched

    register_language(Pirate())
    assert "xp" in available_languages()
    assert isinstance(get_language("xp"), Pirate)
    (call,) = analyze("Call the captain tomorrow at 9am.", CREATED, "xp")
    assert isinstance(call, Suggestion) and call.language == "xp"
    with pytest.raises(TypeError, match="LanguageAnalyzer"):
        register_language(object())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Ping Sam about the renewal on Thursday.", [("task", "2026-05-07T17:00:00")]),
        ("下周找时间和李总吃个饭，顺便聊聊续约。", [("appointment", "2026-05-11T09:00:00")]),
        ("王经理说他们的系统上周又崩了两次，很恼火。", [("issue", None)]),
        ("The CIO asked whether we support SSO; send the security whitepaper.", [("content_request", None)]),
    ],
)
def test_phrasings_outside_the_evaluation_sets(note: str, expected: list[tuple[str, str | None]]) -> None:
    found = [(s.type, s.fields.get("start") or s.fields.get("due")) for s in analyze(note, CREATED)]
    assert found == expected


# --- issue 12: Dynamics 365's documentation examples, clause-level analysis, scope -----------------
@pytest.mark.parametrize(
    ("note", "kind", "fields"),
    [
        ("Could we talk over coffee while I am in town?", "appointment", {}),
        ("Let me introduce you to John.", "contact", {"name": "John"}),
        (
            "新联系人李娜（采购总监），电话13800138000",
            "contact",
            {"name": "李娜", "phone": "13800138000", "job_title": "采购总监"},
        ),
        (
            "新联系人：李娜，采购总监，电话 13800138000，邮箱 lina@contoso.cn",
            "contact",
            {"name": "李娜", "phone": "13800138000", "email": "lina@contoso.cn"},
        ),
    ],
)
def test_dynamics_365_documentation_examples(note: str, kind: str, fields: dict[str, str]) -> None:
    found = [s for s in analyze(note, CREATED) if s.type == kind]
    assert len(found) == 1, found
    for name, value in fields.items():
        assert found[0].fields.get(name) == value, (name, found[0].fields)


@pytest.mark.parametrize(
    ("note", "kinds"),
    [
        (
            "Meet Sarah on Friday at 11 and then call Tom about the invoice on Monday.",
            ["appointment", "phone_call"],
        ),
        (
            "Book a meeting with the board for 20 May at 10am and send the agenda the day before.",
            ["appointment", "task"],
        ),
        ("周五上午10点和王总见面，然后下周一给张经理打电话。", ["appointment", "phone_call"]),
        ("5月20日上午10点约董事会开会，并提前一天发会议议程。", ["appointment", "task"]),
        ("Prepare a mutual NDA and send it to Kofi by tomorrow noon.", ["task"]),
        ("15号前准备扩容的商业论证，并发给保罗。", ["task"]),
    ],
)
def test_every_actionable_clause_yields_its_suggestion_once(note: str, kinds: list[str]) -> None:
    assert sorted(s.type for s in analyze(note, CREATED)) == sorted(kinds)


@pytest.mark.parametrize(
    "note",
    [
        "Nothing to follow up on, they are happy with the current setup.",
        "Maybe we should call them next week, not sure yet.",
        "Client said their IT director would call us next week.",
        "We met the procurement team on Monday and walked them through the pricing.",
        "暂时没有需要跟进的事项。",
        "也许下周给他们打电话，还不确定。",
        "客户说他们的IT总监下周会给我们打电话。",
        "上周一已经和采购部开过会了，讨论了价格。",
    ],
)
def test_negation_hedges_past_and_reported_speech_suggest_nothing(note: str) -> None:
    assert analyze(note, CREATED) == []


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("Please send me your latest price list.", "content_request"),
        ("客户要我们的最新价目表。", "content_request"),
        ("Their champion, Dana, is leaving the company at the end of the month.", "issue"),
        ("对方的关键决策人下个月要离职了。", "issue"),
        ("Site visit got cancelled due to the strike - need to rebook it for next week.", "task"),
        ("原定的现场拜访取消了，需要重新约时间。", "task"),
    ],
)
def test_requests_risks_and_rebooking_without_the_usual_words(note: str, kind: str) -> None:
    assert [s.type for s in analyze(note, CREATED)] == [kind]


def _brief(note: str) -> list[tuple[str, str | None]]:
    return [(s.type, s.fields.get("start") or s.fields.get("due")) for s in analyze(note, CREATED)]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        # a step sequenced after a planned one is planned too (no date, no "will" of its own)
        (
            "Book a workshop with Tailspin and then phone Maria to agree the agenda.",
            [("appointment", None), ("phone_call", None)],
        ),
        ("安排一次培训，然后给李总打电话确认人数。", [("appointment", None), ("phone_call", None)]),
        # rebooking is a task whatever was cancelled and whenever; negated rebooking is nothing
        ("Rebook the QBR that was cancelled last Monday.", [("task", None)]),
        ("演示取消了，需要重新约时间。", [("task", None)]),
        ("The demo was cancelled, no need to rebook.", []),
        ("会议取消了，不用再约。", []),
        # coordinated collateral and deal document: two records; "a copy of the contract": one
        ("Can you send the white paper and the NDA?", [("content_request", None), ("task", None)]),
        ("Customer wants a copy of the signed contract.", [("content_request", None)]),
        ("他们要合同和产品手册。", [("content_request", None), ("task", None)]),
        ("They would like a workshop and a trial licence.", [("appointment", None), ("task", None)]),
        # a resolution in the same sentence closes the issue
        ("The export failed twice this morning, fixed now.", []),
        ("导出报错，已修复。", []),
        # "the next morning" / "第二天" is the day after the day named before it
        (
            "Dinner on the 20th at 7pm, then a site tour the next morning at 10.",
            [("appointment", "2026-05-20T19:00:00"), ("appointment", "2026-05-21T10:00:00")],
        ),
        (
            "20号晚上7点吃饭，第二天上午10点参观工厂。",
            [("appointment", "2026-05-20T19:00:00"), ("appointment", "2026-05-21T10:00:00")],
        ),
        # time and phrasing shapes
        ("Sync-up w/ Tailspin ops next Thu @ 11", [("appointment", "2026-05-14T11:00:00")]),
        ("Give Mrs. Okoye a quick ring on Friday.", [("phone_call", "2026-05-08T09:00:00")]),
        ("周五3-4点和法务开会", [("appointment", "2026-05-08T15:00:00")]),
        ("Notes from yesterday's call with Fabrikam: all fine.", []),
        (
            "The summary of what you mentioned is attached; could you send the price list?",
            [("content_request", None)],
        ),
        # an event already in the diary, referred to, is not one to create; moving it is
        ("Monday's demo is confirmed, nothing else to do.", []),
        ("周五的培训都准备好了。", []),
        ("周五的电话改到下周一上午10点。", [("phone_call", "2026-05-11T10:00:00")]),
        # an event word naming another thing; a heading before the imperative
        ("Training invite: send to the whole team by Friday", [("task", "2026-05-08T17:00:00")]),
        ("会议邀请周五前发给所有参会人", [("task", "2026-05-08T17:00:00")]),
        ("Training for their new admins next Tuesday at 10.", [("appointment", "2026-05-12T10:00:00")]),
        ("Visit on 3 June 09:30-11:00.", [("appointment", "2026-06-03T09:30:00")]),
        # tentative plans; 研发 (R&D) is not 发 (send)
        ("暂定下周三拜访，待客户确认。", []),
        ("Tentatively pencilled in a call for Friday.", []),
        ("安排一次和研发的技术交流。", [("appointment", None)]),
    ],
)
def test_general_mechanisms_of_the_second_error_analysis(
    note: str, expected: list[tuple[str, str | None]]
) -> None:
    assert _brief(note) == expected


def test_forwarded_mail_headers_are_not_notes() -> None:
    note = (
        "---------- Forwarded message ---------\nFrom: Ana Ruiz <ana.ruiz@contoso.com>\n"
        "Subject: Call tomorrow\n\nHi, could you send the case study? Thanks, Ana"
    )
    suggestions = analyze(note, CREATED)
    assert [s.type for s in suggestions] == ["content_request"]
    assert note[suggestions[0].span[0] : suggestions[0].span[1]] == suggestions[0].text
    zh = "转发邮件\n> 发件人：周丽 <zhouli@fabrikam.cn>\n> 主题：资料\n> 麻烦把产品手册发我一份。"
    assert [s.type for s in analyze(zh, CREATED)] == ["content_request"]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        # inline numbered lists are clauses
        ("Todo: 1) draft the NDA 2) schedule a demo w/ Kai", [("task", None), ("appointment", None)]),
        ("待办：1）起草NDA 2）约凯做演示", [("task", None), ("appointment", None)]),
        # an event named with 的 or as the purpose of something is referred to, not created
        ("和李总的会议很顺利，他下周回复。", []),
        ("请为周五的培训准备一份讲义。", [("task", "2026-05-08T17:00:00")]),
        # time ranges across parts of the day; "eve"; visit verbs; "can u"; a reminder naming a deal document
        ("周三上午10点到下午2点在客户现场开工作坊。", [("appointment", "2026-05-13T10:00:00")]),
        ("Pop by their office Fri afternoon.", [("appointment", "2026-05-08T14:00:00")]),
        ("Drinks w/ the Litware team thurs eve", [("appointment", "2026-05-07T19:00:00")]),
        ("can u share the data sheet pls", [("content_request", None)]),
        ("Reminder: contract to Lena by Friday", [("task", "2026-05-08T17:00:00")]),
        ("Customer portal rejects our SSL certificate.", [("issue", None)]),
    ],
)
def test_general_mechanisms_of_the_third_error_analysis(
    note: str, expected: list[tuple[str, str | None]]
) -> None:
    assert _brief(note) == expected


# Classes of misses found on the fresh dev3 notes, checked with the rules alone (the learned check off),
# on phrasings that are not in the evaluation sets; each case failed before the dev3 fixes.
@pytest.mark.parametrize(
    ("note", "expected"),
    [
        # an embedded question does not make the clause past
        ("Check with Ines whether the PO was signed, by Friday.", ["task"]),
        ("周四前核实一下合同盖章了没有。", ["task"]),
        # the step that passes on what the previous step prepares is the same task
        ("Draft the renewal memo and get it to finance by Monday.", ["task"]),
        ("Review the draft SOW by Thursday and send our feedback.", ["task"]),
        # a follow-up call is a call
        ("Follow-up call with Noor on Friday at 11.", ["phone_call"]),
        # 解约 (terminate) is not 约 (arrange); 季度会再… is "will … next quarter", not a meeting
        ("对方因为系统宕机扬言解约。", ["issue"]),
        ("他们下个季度会再评估。", []),
        # an address things are sent to is not a new contact
        ("send the price list to ops@ex.com", ["content_request"]),
        ("Send the price list to anna.berg@example.se by Friday.", ["content_request"]),
        ("价格表发到 anna@example.cn", ["content_request"]),
        # requests phrased as favours or as what they asked us for
        ("Would you mind sending the onboarding guide?", ["content_request"]),
        ("They asked us for the data sheet.", ["content_request"]),
    ],
)
def test_dev3_failure_classes(note: str, expected: list[str]) -> None:
    from rapport.ml.notes.analyzer import RULES_ONLY

    assert [s.type for s in analyze(note, CREATED, settings=RULES_ONLY)] == expected


def test_a_contact_line_still_reads_an_address_after_to() -> None:
    from rapport.ml.notes.analyzer import RULES_ONLY

    found = analyze(
        "New contact: intro to Anna Berg, CFO, anna.berg@example.se", CREATED, settings=RULES_ONLY
    )
    assert [(s.type, s.fields.get("email")) for s in found] == [("contact", "anna.berg@example.se")]


# Classes of misses found on the fresh dev4 notes, checked with the rules alone (the learned check off),
# on phrasings that are not in the evaluation sets; each case failed before the dev4 fixes.
@pytest.mark.parametrize(
    ("note", "expected"),
    [
        # an action in the imperative is a plan even without a date; "try again" and "callback" are calls
        ("ring Keiko re the invoice", ["phone_call"]),
        ("No answer from Paulo, try again Monday.", ["phone_call"]),
        ("Callback wanted by Hugo before noon tomorrow", ["phone_call"]),
        # a slot of given length, "the follow-up" booked: an appointment
        ("Could we book 45 minutes with their CISO next week?", ["appointment"]),
        ("Arrange the follow-up for early June.", ["appointment"]),
        # "and" carries someone else's subject on: their step, not ours
        ("He'll check with his boss and get back to me.", []),
        ("他们会先内部讨论，然后给我们回复。", []),
        # revising and reminding are tasks; the reminder is not the task's anchor
        ("Revise the SOW with the new rates.", ["task"]),
        ("下周三提醒客户续约", ["task"]),
        # collateral to be made (ready) is a task, not a request to send it
        ("We need the case study ready before the summit.", ["task"]),
        ("他们需要我们做一份产品对比表", ["task"]),
        # sending "both"/"them" on is the request already made
        ("Customer wants the data sheet and the user manual - send both tomorrow.", ["content_request"]),
        # booking "something" right after an event is that event
        ("Their CIO wants to meet - book something for Thursday.", ["appointment"]),
        # a preparation after an event is a record of its own
        ("Demo for the finance team on Tuesday at 10 - prepare the test data.", ["appointment", "task"]),
        # an event someone joins exists already
        ("Their CFO will attend the workshop on Friday.", []),
        # the remedy of the customer's problem is part of the issue
        ("Delivery note is wrong again, please fix.", ["issue"]),
        ("客户投诉账单金额错了，要求尽快处理", ["issue"]),
        # risks without an issue word
        ("The budget holder is on sick leave until July, sign-off will stall.", ["issue"]),
        ("客户那边系统很卡，导不出数据", ["issue"]),
        ("他们老板不太认可这个价格", ["issue"]),
        ("对方采购换了负责人，项目可能要延期", ["issue"]),
        ("客户选了竞争对手的方案", ["issue"]),
        ("回访了一下，没什么大问题。", []),
        # a one-swap slip of a rule's word
        ("Lunch w/ Ada on Thrusday", ["appointment"]),
        # Chinese: sending by post, then a call; 之后 inside a clause
        ("把发票寄给客户财务，之后打个电话确认", ["task", "phone_call"]),
        ("明天演示完之后把案例发给陈经理", ["appointment", "content_request"]),
        # Chinese negation and hedges: 先不, 需要的话, 看情况
        ("先不约演示了，等他们内部评估完。", []),
        ("需要的话下周再拜访一次。", []),
        ("看情况再安排培训", []),
        # Chinese task verbs: 问下, 开通; video calls and a time fixed to talk are meetings
        ("问下法务合同审完没", ["task"]),
        ("帮他们开通试用账号", ["task"]),
        ("明天上午10点和他们CTO视频", ["appointment"]),
        ("约个时间跟采购聊一下交期", ["appointment"]),
        # traditional characters; a colleague introduced by name; an assistant's number
        ("週五前把報價單發給客戶", ["task"]),
        ("介绍一下新同事周敏，她负责华东区", ["contact"]),
        ("李总的助理：小王，13911112222", ["contact"]),
    ],
)
def test_dev4_failure_classes(note: str, expected: list[str]) -> None:
    from rapport.ml.notes.analyzer import RULES_ONLY

    assert [s.type for s in analyze(note, CREATED, settings=RULES_ONLY)] == expected


# The same from dev4's later batches (ids 098-167), written after the first fixes.
@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Prepare the board pack and email to Nils by Monday.", ["task"]),  # sent on: one task
        ("Chase Ana for the PO, she promised it yesterday.", ["task"]),  # a past time tells what happened
        ("Their marketing budget was slashed by half.", ["issue"]),
        ("Customer is evaluating other vendors for the renewal.", ["issue"]),
        ("Ship the demo unit to their lab by Friday.", ["task"]),  # an event word naming a thing
        ("下周去华为松山湖园区拜访", ["appointment"]),  # 为 of 华为 is not "for"
        ("我们寄过去的样品被退回了", ["issue"]),  # a verb before 的 describes a thing
        ("周四约王总见一面", ["appointment"]),
        ("客户想先看一下产品手册", ["content_request"]),
        ("他们对实施进度有意见", ["issue"]),
        ("把签好的合同归档", ["task"]),
        ("周三中午和刘总吃个便饭", ["appointment"]),
        # long notes (batch 4): report headings, a subjectless promise, tickets, finishing a document
        ("Call notes: Ben is fine with the terms.", []),
        ("电话记录：对方同意付款条件。", []),
        ("Promised to send a technician on Monday.", ["task"]),
        ("Open a support ticket for their SSO setup.", ["task"]),
        ("周五前把投标书改完", ["task"]),
        ("给客户报修，顺便提个工单", ["task"]),
        ("约个时间给他们IT讲解一下新功能", ["appointment"]),
        ("客户说报表看不明白，数据也有误", ["issue"]),
    ],
)
def test_dev4_later_batch_failure_classes(note: str, expected: list[str]) -> None:
    from rapport.ml.notes.analyzer import RULES_ONLY

    assert [s.type for s in analyze(note, CREATED, settings=RULES_ONLY)] == expected


def test_a_part_of_today_still_ahead_is_not_past() -> None:
    from rapport.ml.notes.analyzer import RULES_ONLY

    # written at 15:20: "this afternoon" (14:00 by convention) is still going, so the call is at 16:00
    (call,) = analyze("I'll ring Ravi this afternoon.", CREATED, settings=RULES_ONLY)
    assert (call.type, call.fields["start"]) == ("phone_call", "2026-05-06T16:00:00")
    # told as done, it stays in the past
    assert analyze("Rang Ravi this afternoon, he had no time.", CREATED, settings=RULES_ONLY) == []


def test_typo_correction_keeps_offsets() -> None:
    from rapport.ml.notes.typos import correct

    text = "tommorow meeitng w/ Greg, Thrusday 3pm; then UPDATE the forecats"
    fixed = correct(text)
    assert len(fixed) == len(text)
    assert fixed == "tommorow meeting w/ Greg, Thursday 3pm; then UPDATE the forecats"
    assert correct("明天上午10点开会") == "明天上午10点开会"


def test_prefiltered_patterns_answer_as_the_patterns_themselves() -> None:
    """A pattern behind its required-words test (languages/base.py) finds what the pattern finds: on
    every sentence of the labelled notes, and on words built to hit each alternative's edge."""
    import re

    from rapport.ml.notes.evaluation import EVAL_DIR, load_eval_set
    from rapport.ml.notes.languages import en
    from rapport.ml.notes.languages.base import FilteredPattern, may_match, required_words

    words = required_words(
        re.compile(r"\b(?:(?:big |small )?deals?|price ?lists?|e-?books?|x(?:yz)+)\b", re.I)
    )
    # the longest literal run each alternative must match: "price" (not "list"), "book", "yz" of x(yz)+
    assert words == ("book", "deal", "price", "yz")
    assert required_words(re.compile(r"\b(?:\w+|deal)\b")) is None  # an alternative without a literal
    assert not may_match("Nothing here", ("deal",)) and may_match("A BIG DEAL", ("deal",))
    assert may_match("ＤＥＡＬ", ("deal",))  # not ASCII: the pattern decides

    filtered = [value for value in vars(en).values() if isinstance(value, FilteredPattern)]
    assert len(filtered) >= 6 and all(f.words for f in filtered)
    texts = [note.text for path in sorted(EVAL_DIR.glob("*.jsonl")) for note in load_eval_set(path)]
    texts += ["PRICE LIST", "the ebook", "e-books", "Complained", "went DOWN", "had", "no"]
    for f in filtered:
        for text in texts:
            assert [m.span() for m in f.finditer(text)] == [m.span() for m in f.pattern.finditer(text)], text
            found, expected = f.search(text), f.pattern.search(text)
            assert (found and found.span()) == (expected and expected.span()), text
