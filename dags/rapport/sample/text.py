"""Sentence templates in English and Chinese for notes, e-mails, calls, meetings and tasks.

Every template belongs to a language and a *category*. Action categories (meeting, callback, todo,
new_contact, content_request, complaint) contain something a notes analyser should find; ``plain``
sentences contain nothing actionable; ``personal_*`` sentences are the small talk of inbound e-mails
that talking points look for. Templates that mention a day say how the day is derived from the moment
the text was written (``date``: absolute, tomorrow, day after tomorrow, next week's weekday, this
Friday) and whether a clock time is given (``time``: exact or a part of the day), so the generator can
record the true mentioned moment in ``_truth/text_labels``.

Slots: ``{person}`` (the customer's contact), ``{seller}`` (our colleague), ``{company}``, ``{to_first}``,
``{from_first}``, ``{new_name}``/``{new_title}``/``{new_email}``/``{new_phone}`` (a new contact), the date
slots ``{month_en}``, ``{month_num}``, ``{day}``, ``{weekday_en}``, ``{weekday_zh}``, ``{time_en}``,
``{time_zh}`` and the vocabularies in :data:`CHOICES`.
"""

from __future__ import annotations

from dataclasses import dataclass

EN, ZH = 0, 1
LANGUAGES = ("en", "zh")

# Date forms: how the mentioned day follows from the moment of writing.
NO_DATE, ABSOLUTE, TOMORROW, DAY_AFTER, NEXT_WEEKDAY, THIS_FRIDAY = range(6)
# Time forms.
NO_TIME, EXACT_TIME, MORNING, AFTERNOON = range(4)

INTENTS = ("none", "meeting", "callback", "todo", "new_contact", "content_request", "complaint")
TOPICS = ("none", "sports", "family", "vacation", "entertainment")

# Clock times: (minutes after midnight, English, Chinese).
TIMES = (
    (540, "9:00 AM", "上午9点"),
    (570, "9:30 AM", "上午9:30"),
    (600, "10am", "上午10点"),
    (600, "10:00 AM", "上午10:00"),
    (660, "11:00 AM", "上午11点"),
    (690, "11:30 AM", "上午11点半"),
    (810, "1:30 PM", "下午1:30"),
    (840, "2pm", "下午两点"),
    (840, "2:00 PM", "下午2点"),
    (900, "3:00 PM", "下午3点"),
    (960, "4:00 PM", "下午4:00"),
    (960, "4pm", "下午4点"),
    (990, "4:30 PM", "下午4点半"),
    (1020, "5:00 PM", "下午5点"),
)
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
MONTHS_EN_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_ZH = ("一", "二", "三", "四", "五", "六", "日")

CHOICES: dict[str, tuple[str, ...]] = {
    "product_en": ("CRM platform", "analytics suite", "data platform", "field service app", "security bundle",
                   "cloud migration", "support renewal", "ERP integration", "customer portal", "AI assistant pilot",
                   "licence expansion", "managed services", "contact centre solution"),
    "product_zh": ("CRM平台", "数据分析套件", "数据平台", "现场服务应用", "安全套装", "云迁移", "支持续约",
                   "ERP集成", "客户门户", "AI助手试点", "许可证扩容", "托管服务", "呼叫中心方案"),
    "doc_en": ("case study", "security whitepaper", "reference architecture", "ROI calculator", "product brochure",
               "customer references", "implementation plan", "data sheet", "SOC 2 report", "pricing sheet"),
    "doc_zh": ("案例研究", "安全白皮书", "参考架构", "投资回报测算表", "产品手册", "客户推荐名单", "实施计划",
               "产品规格书", "合规报告", "价格单"),
    "deliverable_en": ("the pricing", "the revised quote", "the contract draft", "the proposal", "the SOW",
                       "the demo recording", "the onboarding plan", "the order form", "the NDA", "the meeting summary"),
    "deliverable_zh": ("报价", "修改后的报价单", "合同草稿", "方案书", "工作说明书", "演示录像", "上线计划",
                       "订单", "保密协议", "会议纪要"),
    "issue_en": ("the last invoice was wrong", "support took a week to answer their ticket",
                 "the renewal price went up without notice", "the integration keeps failing at night",
                 "they were billed twice in March", "the new release broke their reports",
                 "the trainer did not show up", "licences were assigned to the wrong team",
                 "the dashboard is too slow for their managers", "nobody called back about the outage"),
    "issue_zh": ("上一张发票有误", "工单一周都没人回复", "续约价格没有提前通知就涨了", "夜间集成总是失败",
                 "三月份被重复扣费", "新版本导致报表出错", "培训讲师没有到场", "许可证分配给了错误的团队",
                 "仪表盘对管理层来说太慢", "故障之后没人回电话"),
    "topic_en": ("pricing", "the rollout timeline", "data migration", "user training", "security requirements",
                 "the licence model", "integration with SAP", "their current vendor", "budget approval",
                 "the pilot results", "reporting needs", "support levels"),
    "topic_zh": ("价格", "上线时间表", "数据迁移", "用户培训", "安全要求", "授权模式", "与SAP的集成",
                 "现有供应商", "预算审批", "试点结果", "报表需求", "服务级别"),
    "sport_en": ("league final", "cup semi-final", "derby", "regional championship", "season opener"),
    "place_en": ("Hawaii", "the Alps", "Lisbon", "Bali", "Japan", "the Scottish Highlands", "Iceland", "Tuscany",
                 "Cape Town", "the Rockies"),
    "place_zh": ("三亚", "云南", "日本", "泰国", "海南", "新疆", "成都", "巴厘岛", "欧洲", "桂林"),
    "show_en": ("the new season of that detective series", "the Coldplay concert", "the new Marvel film",
                "a jazz festival", "the musical everyone talks about", "a documentary on deep-sea life"),
    "show_zh": ("那部新出的悬疑剧", "周杰伦的演唱会", "新上映的科幻电影", "一场爵士音乐节", "最近很火的话剧",
                "一部深海纪录片"),
}


@dataclass(frozen=True)
class Sentence:
    """One template: its language, category and how its date and time are derived."""

    lang: int
    category: str
    template: str
    date: int = NO_DATE
    time: int = NO_TIME


def _en(category: str, template: str, date: int = NO_DATE, time: int = NO_TIME) -> Sentence:
    return Sentence(EN, category, template, date, time)


def _zh(category: str, template: str, date: int = NO_DATE, time: int = NO_TIME) -> Sentence:
    return Sentence(ZH, category, template, date, time)


SENTENCES: tuple[Sentence, ...] = (
    # --- meeting -------------------------------------------------------------------------------------
    _en("meeting", "Meet the customer on {month_en} {day} at {time_en}.", ABSOLUTE, EXACT_TIME),
    _en("meeting", "Meeting with {person} on {weekday_en}, {month_en} {day} at {time_en} to go through {topic_en}.", ABSOLUTE, EXACT_TIME),
    _en("meeting", "{person} agreed to a demo of the {product_en} on {month_en} {day} at {time_en}.", ABSOLUTE, EXACT_TIME),
    _en("meeting", "Set up an on-site visit at {company} next {weekday_en} at {time_en}.", NEXT_WEEKDAY, EXACT_TIME),
    _en("meeting", "Workshop with their team next {weekday_en} at {time_en}; bring the {doc_en}.", NEXT_WEEKDAY, EXACT_TIME),
    _en("meeting", "Customer wants to meet tomorrow at {time_en} about {topic_en}.", TOMORROW, EXACT_TIME),
    _en("meeting", "Lunch with {person} tomorrow to discuss the {product_en}.", TOMORROW, AFTERNOON),
    _en("meeting", "Book a meeting room for {month_en_short} {day}, {time_en}: proposal walkthrough with {person}.", ABSOLUTE, EXACT_TIME),
    _en("meeting", "Let's meet on {weekday_en} {month_en} {day} in the morning to review {topic_en}.", ABSOLUTE, MORNING),
    _en("meeting", "Could we meet next {weekday_en} at {time_en}? I would like to show you the {product_en}.", NEXT_WEEKDAY, EXACT_TIME),
    _en("meeting", "Quarterly review with {company} on {month_en} {day} at {time_en}.", ABSOLUTE, EXACT_TIME),
    _zh("meeting", "{month_num}月{day}日{time_zh}与客户会面。", ABSOLUTE, EXACT_TIME),
    _zh("meeting", "{month_num}月{day}日{time_zh}和{person}开会讨论{topic_zh}。", ABSOLUTE, EXACT_TIME),
    _zh("meeting", "下周{weekday_zh}{time_zh}去{company}拜访客户。", NEXT_WEEKDAY, EXACT_TIME),
    _zh("meeting", "明天上午拜访客户，介绍{product_zh}。", TOMORROW, MORNING),
    _zh("meeting", "客户希望明天{time_zh}见面，谈{topic_zh}。", TOMORROW, EXACT_TIME),
    _zh("meeting", "后天下午和{person}一起过一遍方案。", DAY_AFTER, AFTERNOON),
    _zh("meeting", "约了{person}下周{weekday_zh}{time_zh}做{product_zh}演示。", NEXT_WEEKDAY, EXACT_TIME),
    _zh("meeting", "{month_num}月{day}日（周{weekday_zh}）{time_zh}与{company}进行季度回顾。", ABSOLUTE, EXACT_TIME),
    _zh("meeting", "我们可以在{month_num}月{day}日上午见面吗？想和您聊聊{topic_zh}。", ABSOLUTE, MORNING),
    # --- callback ------------------------------------------------------------------------------------
    _en("callback", "Call {person} back on {weekday_en} at {time_en}.", NEXT_WEEKDAY, EXACT_TIME),
    _en("callback", "{person} asked us to call back tomorrow morning.", TOMORROW, MORNING),
    _en("callback", "Follow-up call with {person} on {month_en} {day} at {time_en} about {topic_en}.", ABSOLUTE, EXACT_TIME),
    _en("callback", "Ring {person} tomorrow at {time_en} to confirm {topic_en}.", TOMORROW, EXACT_TIME),
    _en("callback", "Missed {person}; try again the day after tomorrow in the afternoon.", DAY_AFTER, AFTERNOON),
    _en("callback", "Schedule a call with their CFO on {month_en_short} {day} at {time_en}.", ABSOLUTE, EXACT_TIME),
    _en("callback", "Please call me on Friday, I will have the budget numbers by then.", THIS_FRIDAY, NO_TIME),
    _zh("callback", "周{weekday_zh}{time_zh}给{person}回电话。", NEXT_WEEKDAY, EXACT_TIME),
    _zh("callback", "客户希望明天上午回电。", TOMORROW, MORNING),
    _zh("callback", "{month_num}月{day}日{time_zh}电话跟进{topic_zh}。", ABSOLUTE, EXACT_TIME),
    _zh("callback", "明天{time_zh}给{person}打电话确认{topic_zh}。", TOMORROW, EXACT_TIME),
    _zh("callback", "没联系上{person}，后天下午再打。", DAY_AFTER, AFTERNOON),
    _zh("callback", "本周五给客户回个电话，确认预算。", THIS_FRIDAY, NO_TIME),
    # --- todo ----------------------------------------------------------------------------------------
    _en("todo", "Send {deliverable_en} by Friday.", THIS_FRIDAY, NO_TIME),
    _en("todo", "Need to send {deliverable_en} to {person} by {month_en} {day}.", ABSOLUTE, NO_TIME),
    _en("todo", "Action: prepare {deliverable_en} for {company} before {weekday_en}, {month_en} {day}.", ABSOLUTE, NO_TIME),
    _en("todo", "To do: update {deliverable_en} and share it tomorrow.", TOMORROW, NO_TIME),
    _en("todo", "I will send you {deliverable_en} by {month_en_short} {day}.", ABSOLUTE, NO_TIME),
    _en("todo", "Get legal to review {deliverable_en} by next {weekday_en}.", NEXT_WEEKDAY, NO_TIME),
    _en("todo", "Remember to loop in {seller} on {topic_en} before Friday.", THIS_FRIDAY, NO_TIME),
    _en("todo", "Please send us {deliverable_en} by {month_en} {day} at {time_en} at the latest.", ABSOLUTE, EXACT_TIME),
    _zh("todo", "本周五之前发报价。", THIS_FRIDAY, NO_TIME),
    _zh("todo", "{month_num}月{day}日前把{deliverable_zh}发给{person}。", ABSOLUTE, NO_TIME),
    _zh("todo", "待办：下周{weekday_zh}之前准备好{deliverable_zh}。", NEXT_WEEKDAY, NO_TIME),
    _zh("todo", "明天把更新后的{deliverable_zh}发给客户。", TOMORROW, NO_TIME),
    _zh("todo", "请在{month_num}月{day}日{time_zh}前把{deliverable_zh}发给我们。", ABSOLUTE, EXACT_TIME),
    _zh("todo", "周五前和{seller}对一下{topic_zh}。", THIS_FRIDAY, NO_TIME),
    # --- new contact ---------------------------------------------------------------------------------
    _en("new_contact", "New contact: {new_name}, {new_title}, {new_email}, {new_phone}."),
    _en("new_contact", "Met {new_name} ({new_title}); contact details {new_email}, {new_phone}."),
    _en("new_contact", "{person} introduced {new_name}, their {new_title}: {new_email}, phone {new_phone}."),
    _en("new_contact", "Please add {new_name} ({new_email}, {new_phone}) to the thread; {new_name} is our new {new_title}."),
    _zh("new_contact", "新联系人：{new_name}，{new_title}，{new_email}，{new_phone}。"),
    _zh("new_contact", "{person}介绍了{new_name}（{new_title}），邮箱{new_email}，电话{new_phone}。"),
    _zh("new_contact", "请加上{new_name}，{new_title}，联系方式：{new_email} / {new_phone}。"),
    # --- content request -----------------------------------------------------------------------------
    _en("content_request", "{person} asked for the {doc_en}."),
    _en("content_request", "Customer requested the {doc_en} and a reference customer in their industry."),
    _en("content_request", "Could you send us the {doc_en}? Our board wants to see it."),
    _en("content_request", "They want the {doc_en} before the next steering committee."),
    _en("content_request", "Asked for the {doc_en} for the {product_en}."),
    _zh("content_request", "客户要了{doc_zh}。"),
    _zh("content_request", "{person}索取{doc_zh}。"),
    _zh("content_request", "能否发一份{doc_zh}给我们？领导想看一下。"),
    _zh("content_request", "客户希望拿到{product_zh}的{doc_zh}。"),
    # --- complaint -----------------------------------------------------------------------------------
    _en("complaint", "Complaint: {issue_en}."),
    _en("complaint", "{person} is unhappy because {issue_en}."),
    _en("complaint", "Issue raised: {issue_en}; needs a fix before we talk about the renewal."),
    _en("complaint", "To be honest we are frustrated: {issue_en}."),
    _zh("complaint", "客户投诉：{issue_zh}。"),
    _zh("complaint", "{person}很不满意，因为{issue_zh}。"),
    _zh("complaint", "说实话我们很失望：{issue_zh}。"),
    _zh("complaint", "问题：{issue_zh}，续约前必须解决。"),
    # --- plain (nothing actionable) -----------------------------------------------------------------
    _en("plain", "Discussed {topic_en} with {person}; no decisions yet."),
    _en("plain", "General check-in with {company}, all fine on their side."),
    _en("plain", "{person} gave an overview of their current process and pain points."),
    _en("plain", "Talked about {topic_en} and how other customers handle it."),
    _en("plain", "They are comparing us with their current vendor."),
    _en("plain", "Good conversation, the team seems engaged."),
    _en("plain", "Budget cycle starts next quarter according to {person}."),
    _en("plain", "They liked the {product_en} but have questions on {topic_en}."),
    _en("plain", "Internal note: {company} is reorganising its IT department."),
    _en("plain", "Short update on {topic_en}; nothing new."),
    _en("plain", "{person} confirmed they received our last e-mail."),
    _en("plain", "Useful background on {company}'s growth plans."),
    _zh("plain", "和{person}讨论了{topic_zh}，暂无结论。"),
    _zh("plain", "例行沟通，{company}那边一切正常。"),
    _zh("plain", "{person}介绍了他们现在的流程和痛点。"),
    _zh("plain", "聊了聊{topic_zh}以及其他客户的做法。"),
    _zh("plain", "客户正在和现有供应商做对比。"),
    _zh("plain", "沟通顺利，对方团队比较积极。"),
    _zh("plain", "据{person}说，预算周期下个季度开始。"),
    _zh("plain", "客户对{product_zh}感兴趣，但对{topic_zh}还有疑问。"),
    _zh("plain", "内部备注：{company}正在调整IT部门。"),
    _zh("plain", "简单同步了一下{topic_zh}，没有新进展。"),
    # --- e-mail bodies ---------------------------------------------------------------------------------
    _en("open_ours", "I wanted to follow up on our conversation about the {product_en}."),
    _en("open_ours", "Thanks for your time earlier. As promised, here is a short summary on {topic_en}."),
    _en("open_ours", "I'm reaching out because several companies like {company} use our {product_en} for {topic_en}."),
    _en("open_ours", "Attached you will find the overview of the {product_en} we discussed."),
    _en("open_ours", "Do you have a few minutes this week to talk about {topic_en}?"),
    _en("open_ours", "Following our demo, I have put together the next steps for {company}."),
    _zh("open_ours", "跟进一下我们之前关于{product_zh}的沟通。"),
    _zh("open_ours", "感谢您抽出时间。按约定，附上关于{topic_zh}的简要说明。"),
    _zh("open_ours", "很多和{company}类似的企业在用我们的{product_zh}解决{topic_zh}问题。"),
    _zh("open_ours", "附件是我们讨论过的{product_zh}介绍。"),
    _zh("open_ours", "本周您是否方便花几分钟聊一下{topic_zh}？"),
    _en("open_customer", "We are looking at options for {topic_en} and your {product_en} came up."),
    _en("open_customer", "Could you tell me more about the {product_en}?"),
    _en("open_customer", "Our team would like to understand your pricing for {topic_en}."),
    _en("open_customer", "A colleague recommended you; we need help with {topic_en}."),
    _en("open_customer", "Quick question about {topic_en} before our internal meeting."),
    _zh("open_customer", "我们在看{topic_zh}的方案，想了解一下贵司的{product_zh}。"),
    _zh("open_customer", "能否详细介绍一下{product_zh}？"),
    _zh("open_customer", "我们团队想了解一下{topic_zh}的价格。"),
    _zh("open_customer", "同事推荐了你们，我们在{topic_zh}方面需要帮助。"),
    _en("reply_ours", "Thanks for getting back to me, happy to help with {topic_en}."),
    _en("reply_ours", "Good question. Let me check with our product team and come back to you."),
    _en("reply_ours", "Thank you, that is very helpful. I'll update the proposal accordingly."),
    _en("reply_ours", "Understood. I have shared your feedback with {seller}."),
    _en("reply_ours", "Great to hear. Next step on our side is {topic_en}."),
    _zh("reply_ours", "感谢回复，关于{topic_zh}我们很乐意协助。"),
    _zh("reply_ours", "好问题，我和产品团队确认后回复您。"),
    _zh("reply_ours", "谢谢，很有帮助，我会据此更新方案。"),
    _zh("reply_ours", "明白，已把您的反馈转给{seller}。"),
    _en("reply_positive", "Thanks, this looks great. The team is keen to move forward."),
    _en("reply_positive", "Very helpful, thank you. We would like to get the paperwork started."),
    _en("reply_positive", "Looks good. I have shared it with our management and the feedback is positive."),
    _en("reply_positive", "Thank you for the quick answer! Let's keep the momentum."),
    _en("reply_positive", "Perfect, that answers our questions on {topic_en}."),
    _zh("reply_positive", "谢谢，方案很好，团队希望尽快推进。"),
    _zh("reply_positive", "非常有帮助，我们准备启动采购流程。"),
    _zh("reply_positive", "看起来不错，已经发给领导，反馈很积极。"),
    _zh("reply_positive", "感谢快速回复！我们继续推进。"),
    _en("reply_neutral", "Thanks, we will review internally and get back to you."),
    _en("reply_neutral", "Received, I'll discuss it with the team next week."),
    _en("reply_neutral", "Noted. We still need to check {topic_en} on our side."),
    _en("reply_neutral", "Thanks for the information."),
    _zh("reply_neutral", "收到，我们内部评估后回复您。"),
    _zh("reply_neutral", "已收到，下周和团队讨论。"),
    _zh("reply_neutral", "好的，我们这边还需要确认一下{topic_zh}。"),
    _en("reply_negative", "To be honest, the price is above what we can justify right now."),
    _en("reply_negative", "We have decided to put this on hold until next year."),
    _en("reply_negative", "Our priorities have changed; {topic_en} is no longer urgent."),
    _en("reply_negative", "We are leaning towards staying with our current vendor."),
    _en("reply_negative", "Sorry for the slow reply, things are hectic here."),
    _zh("reply_negative", "说实话，这个价格目前我们很难接受。"),
    _zh("reply_negative", "我们决定把这个项目推迟到明年。"),
    _zh("reply_negative", "我们的优先级变了，{topic_zh}暂时不急。"),
    _zh("reply_negative", "抱歉回复晚了，最近比较忙。"),
    _en("nudge", "Just following up on my previous e-mail."),
    _en("nudge", "Bumping this to the top of your inbox in case it got lost."),
    _en("nudge", "Any thoughts on the below?"),
    _en("nudge", "Sorry, one more thing I forgot to mention about {topic_en}."),
    _zh("nudge", "跟进一下我之前的邮件。"),
    _zh("nudge", "再提醒一下，以免邮件被淹没。"),
    _zh("nudge", "关于下面的内容，您有什么想法吗？"),
    # --- personal small talk in inbound e-mails ---------------------------------------------------------
    _en("personal_sports", "Our team finally won the {sport_en}!"),
    _en("personal_sports", "Did you catch the game last night? What a finish."),
    _en("personal_sports", "I'm running my first marathon next month, wish me luck."),
    _en("personal_sports", "Weekend was all about my son's football tournament."),
    _zh("personal_sports", "我们队终于拿下了联赛冠军！"),
    _zh("personal_sports", "昨晚的球赛您看了吗？太精彩了。"),
    _zh("personal_sports", "下个月我要跑人生第一个马拉松。"),
    _zh("personal_sports", "周末一直在陪儿子打篮球比赛。"),
    _en("personal_family", "My daughter just started school, so mornings are chaotic."),
    _en("personal_family", "We are expecting our second child in the spring."),
    _en("personal_family", "My parents are visiting this week, so I may be slow to reply."),
    _en("personal_family", "We just moved into a new house with the kids."),
    _zh("personal_family", "女儿刚上小学，早上特别忙。"),
    _zh("personal_family", "我们家明年春天要添二胎了。"),
    _zh("personal_family", "这周父母来看我们，回复可能会慢一些。"),
    _zh("personal_family", "刚和家人搬了新家。"),
    _en("personal_vacation", "We're off to {place_en} next week for a family holiday."),
    _en("personal_vacation", "Just back from a week in {place_en}, feeling recharged."),
    _en("personal_vacation", "I'll be on vacation in {place_en} from Monday."),
    _zh("personal_vacation", "我们全家下周去{place_zh}度假。"),
    _zh("personal_vacation", "刚从{place_zh}旅游回来，精神焕发。"),
    _zh("personal_vacation", "我下周一开始休假，去{place_zh}。"),
    _en("personal_entertainment", "Have you seen {show_en}? I can't stop talking about it."),
    _en("personal_entertainment", "Went to {show_en} on Saturday, highly recommend it."),
    _zh("personal_entertainment", "您看过{show_zh}吗？强烈推荐。"),
    _zh("personal_entertainment", "周六去看了{show_zh}，非常棒。"),
    # --- greetings and sign-offs -------------------------------------------------------------------------
    _en("greeting", "Hi {to_first},"),
    _en("greeting", "Hello {to_first},"),
    _en("greeting", "Dear {to_first},"),
    _en("greeting", "{to_first},"),
    _zh("greeting", "{to_first}您好，"),
    _zh("greeting", "{to_first}，你好！"),
    _zh("greeting", "尊敬的{to_first}："),
    _en("signoff", "Best regards, {from_first}"),
    _en("signoff", "Thanks, {from_first}"),
    _en("signoff", "Kind regards, {from_first}"),
    _en("signoff", "Cheers, {from_first}"),
    _zh("signoff", "谢谢！{from_first}"),
    _zh("signoff", "祝好，{from_first}"),
    _zh("signoff", "此致敬礼，{from_first}"),
    # --- subjects --------------------------------------------------------------------------------------
    _en("subject_email", "{product_en} for {company}"),
    _en("subject_email", "Next steps: {topic_en}"),
    _en("subject_email", "Question about {topic_en}"),
    _en("subject_email", "{company} / Contoso: {product_en}"),
    _en("subject_email", "Follow-up on {topic_en}"),
    _en("subject_email", "Proposal for the {product_en}"),
    _en("subject_email", "Introduction: Contoso {product_en}"),
    _zh("subject_email", "{product_zh}方案 - {company}"),
    _zh("subject_email", "下一步：{topic_zh}"),
    _zh("subject_email", "关于{topic_zh}的问题"),
    _zh("subject_email", "跟进：{topic_zh}"),
    _zh("subject_email", "{product_zh}报价"),
    _en("subject_call", "Call with {person}"),
    _en("subject_call", "Follow-up call: {topic_en}"),
    _en("subject_call", "Discovery call {company}"),
    _en("subject_call", "Check-in call"),
    _zh("subject_call", "与{person}通话"),
    _zh("subject_call", "电话跟进：{topic_zh}"),
    _zh("subject_call", "{company}需求沟通电话"),
    _en("subject_meeting", "Demo of the {product_en}"),
    _en("subject_meeting", "{company} – workshop on {topic_en}"),
    _en("subject_meeting", "Quarterly business review"),
    _en("subject_meeting", "Proposal walkthrough"),
    _en("subject_meeting", "Intro meeting with {person}"),
    _zh("subject_meeting", "{product_zh}演示"),
    _zh("subject_meeting", "{company}：{topic_zh}研讨会"),
    _zh("subject_meeting", "季度业务回顾"),
    _zh("subject_meeting", "方案讲解"),
    _en("subject_task", "Send {deliverable_en} to {person}"),
    _en("subject_task", "Prepare {deliverable_en}"),
    _en("subject_task", "Follow up on {topic_en}"),
    _en("subject_task", "Update the opportunity after the call"),
    _en("subject_task", "Check {topic_en} with {seller}"),
    _zh("subject_task", "把{deliverable_zh}发给{person}"),
    _zh("subject_task", "准备{deliverable_zh}"),
    _zh("subject_task", "跟进{topic_zh}"),
    _zh("subject_task", "和{seller}确认{topic_zh}"),
    _en("subject_note", "Call notes"),
    _en("subject_note", "Meeting notes – {company}"),
    _en("subject_note", "Update"),
    _en("subject_note", "Next steps"),
    _en("subject_note", "Notes on {topic_en}"),
    _zh("subject_note", "通话记录"),
    _zh("subject_note", "会议纪要 - {company}"),
    _zh("subject_note", "进展更新"),
    _zh("subject_note", "下一步计划"),
    _en("subject_lead", "Interested in the {product_en}"),
    _en("subject_lead", "{product_en} enquiry"),
    _en("subject_lead", "Request for a demo: {product_en}"),
    _en("subject_lead", "{company} - {product_en}"),
    _zh("subject_lead", "咨询{product_zh}"),
    _zh("subject_lead", "{company} - {product_zh}"),
    _zh("subject_lead", "申请{product_zh}演示"),
    _en("subject_opportunity", "{company} – {product_en}"),
    _en("subject_opportunity", "{product_en} for {company}"),
    _en("subject_opportunity", "{company} {product_en} expansion"),
    _zh("subject_opportunity", "{company} - {product_zh}"),
    _zh("subject_opportunity", "{company}{product_zh}项目"),
)

CATEGORIES: tuple[str, ...] = tuple(dict.fromkeys(sentence.category for sentence in SENTENCES))

# Action categories, in the order of INTENTS (index 0, "none", renders a plain sentence).
INTENT_CATEGORIES = ("plain", "meeting", "callback", "todo", "new_contact", "content_request", "complaint")
TOPIC_CATEGORIES = ("", "personal_sports", "personal_family", "personal_vacation", "personal_entertainment")
