"""Chinese (simplified; common traditional forms are folded by :func:`rapport.ml.notes.text.fold`): date
grammar, trigger words and cues for notes analysis. No segmenter is needed: the patterns are words."""

from __future__ import annotations

import re
from datetime import time

from rapport.ml.notes.languages.base import STRONG, WEAK, Cues, PatternTrigger, Trigger, overlapping
from rapport.ml.notes.suggestion import APPOINTMENT, PHONE_CALL, TASK
from rapport.ml.notes.text import script_counts
from rapport.ml.notes.timeexpr import TimeAtom

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_N = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_WEEK_WORD = r"(?:周|星期|礼拜)"
_WEEKDAY_CHARS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
_PREFIX = r"(?P<mod>下下个?|下个?|这个?|本|上个?|这)"

_REL_DAY = re.compile(r"大后天|后天|明天|明日|明早|明晚|今天|今日|今早|今晚|昨天|昨日|昨晚|前天")
_REL_DAYS = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1, "明早": 1, "明晚": 1, "今天": 0, "今日": 0, "今早": 0, "今晚": 0, "昨天": -1, "昨日": -1, "昨晚": -1, "前天": -2}  # fmt: skip
_WEEKDAY = re.compile(rf"{_PREFIX}?{_WEEK_WORD}(?P<day>[一二三四五六日天1-7])")
_ABS_DATE = re.compile(rf"(?:(?P<year>20\d\d)\s*年\s*)?(?P<month>{_N})\s*月\s*(?P<day>{_N})\s*[日号]")
_NUMERIC_DATE = re.compile(r"(?<![\d.:/])(?P<month>\d{1,2})/(?P<day>\d{1,2})(?![\d/])")
_DAY_OF_MONTH = re.compile(rf"(?<![\d月零〇一二两三四五六七八九十])(?P<day>{_N})\s*[日号](?![码楼线门])")
_WEEK = re.compile(rf"{_PREFIX}{_WEEK_WORD}(?![一二三四五六日天1-7])(?P<sub>末)?|(?<![下这本上个])周末")
_WEEKEND_BEFORE = re.compile(r"^\s*(?:之前|以前|前)")
_MONTH = re.compile(
    rf"{_PREFIX}月(?P<sub>底|末|初|中|上旬|中旬|下旬)?|(?<![\d零〇一二两三四五六七八九十个本这上下])月(?P<sub2>底|末|初|中)|(?P<num>{_N})\s*月(?P<sub3>底|末|初|中|上旬|中旬|下旬|份(?!的))|年底"
)
_OFFSET = re.compile(
    rf"(?:过\s*)?(?P<n>{_N}|半)\s*个?\s*(?P<half>半)?\s*(?P<unit>分钟|小时|钟头|天|日|周|星期|礼拜|月)(?P<dir>后|以后|之后|内|以内|之内|前|以前|之前)"
)
_CLOCK = re.compile(
    rf"(?<!\d)(?:(?P<h0>\d{{1,2}})\s*(?:-|~|—|到|至)\s*(?=\d{{1,2}}\s*[点时]))?(?P<h>{_N})\s*[点时](?![点儿钟半]?[东西])(?:\s*(?P<half>半)|\s*(?P<q>一刻|三刻)|\s*整|\s*(?P<m>\d{{1,2}}|[零一二三四五六七八九十]{{1,3}})\s*分?)?"
    rf"(?:\s*(?:到|至|-|~|—)\s*(?:上午|中午|下午|晚上)?\s*(?P<h2>{_N})\s*[点时](?:\s*(?P<half2>半)|\s*(?P<m2>\d{{1,2}})\s*分?)?)?"
)
_COLON_CLOCK = re.compile(
    r"(?<![\d:])(?P<h>\d{1,2})[:](?P<m>\d{2})(?:\s*(?:-|到|至|~|—)\s*(?P<h2>\d{1,2})[:](?P<m2>\d{2}))?(?![\d:])"
)
_A_BIT = re.compile(r"[有早晚快慢多少好差]$")  # "早一点" is "a bit earlier", not one o'clock
_PART = re.compile(r"早上|早晨|上午|中午|下午|傍晚|晚上|晚间|下班前|下班之前|下班以前|凌晨")
_PARTS = {"早上": "morning", "早晨": "morning", "上午": "morning", "中午": "noon", "下午": "afternoon", "傍晚": "dusk", "晚上": "evening", "晚间": "evening", "凌晨": "morning"}  # fmt: skip
_LATIN_MER = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<mer>am|pm|AM|PM)(?![A-Za-z])")

# Cheap gate: a clause without a digit or any of these characters has no time expression.
_MAY_HAVE_TIME = re.compile(
    r"[\d天日早晚周星礼拜月号点时午班凌傍年内后前零〇一二两三四五六七八九十半]|am|pm|AM|PM"
)
_CONNECTOR = re.compile(r"[\s,，、()（）:：]*(?:(?:在|于|的|之|大约|大概|左右|,|，|\(|\))[\s,，()（）]*)*")
_FROM_BEFORE = re.compile(r"从\s*$")
_MOVE_BEFORE = re.compile(r"(?:改到|改为|改成|改在|推迟到|延期到|提前到|挪到|换到)了?\s*$")
_TO_BEFORE = re.compile(r"(?:改到|改为|改成|推迟到|延期到|提前到|挪到|换到|到)了?\s*$")

_TRIGGERS = (
    PatternTrigger(re.compile(r"(?:吃午饭|午饭|午餐会?|中饭)(?!的)"), APPOINTMENT, STRONG, time(12, 0)),
    PatternTrigger(re.compile(r"(?:吃晚饭|晚饭|晚餐)(?!的)"), APPOINTMENT, STRONG, time(19, 0)),
    PatternTrigger(re.compile(r"(?:早餐会?|早饭)(?!的)"), APPOINTMENT, STRONG, time(8, 0)),
    PatternTrigger(
        re.compile(
            r"(?:(?<=[\s\d点分半午天一二三四五六日])见(?![过到了])|开个?短?会|会面|见[个一]?面|碰[个一]?面|碰个?头|碰一下|碰一碰|约个?(?:时间|日子)[^，,。；;]{0,12}?(?:聊|谈|讲解|沟通|碰|过一下)|回访|(?<![发给寄送要看的个段])视频(?=[，,。；;！!]|$|一下|聊|沟通|通话)|约见|面谈|面聊|拜访|到访|上门|考察|参观|演示|[Dd]emo|DEMO|会议(?!室|纪要|记录)"
            r"|(?:跟进|启动|评审|回顾|战略|推介|交流|研讨|沟通|复盘|月度|季度|签约|电话|视频|线上|例|短|周|见面)会(?![再来去给跟把对要])|工作坊|培训|深度交流|交流"
            r"|汇报|路演|业务回顾|季度回顾|QBR|(?<![发寄送传回过])去[^，,。；;]{0,8}?(?:办公室|公司|工厂|现场|总部)|吃[个顿]?便?饭|饭局|聚餐|聚一下|聚聚|喝杯?咖啡|喝茶|喝一杯|坐坐|[Mm]eeting|MEETING)(?!的|邀请|链接|议程|纪要|记录|材料|资料|日程|计划|方案|大纲|课件|名单|报告|总结|费用|效果|套件|设备|环境|账号|样机)"
        ),
        APPOINTMENT,
    ),
    PatternTrigger(
        re.compile(
            r"(?:打个?电话|打一个电话|打通电话|电话(?:联系|沟通|跟进|确认)|通个?电话|通话|回个?电话|回电|致电|打给|再打|打过去|[Cc]all|CALL"
            r"|电话(?!会|号|里|中|的|纪要|记录|总结|录音|[\s:：]*[+\d]))"
        ),
        PHONE_CALL,
    ),
    PatternTrigger(
        re.compile(
            r"跟进(?!会)|寄给|寄过去|寄出|邮寄|快递|问下|[写做改弄整]完|提个?工单|开个?工单|报修|派(?=[^，,。；;]{0,3}(?:人|工程师|技术|同事))|送到|送过去|归档|存档|会签|查一下|查查|查下|开好|开通|开出来|开具|申请|带上|带过去|带去|(?<=记得|别忘|顺便)带|(?<=要)带|(?<=别忘了)带"
            r"|[出写]一?[份个版](?=[^，,。；;]{0,10}(?:方案|计划|报价|说明|文档|报告|清单|总结|PPT|ppt|邮件))|写(?=[^，,。；;]{0,6}(?:报告|方案|总结|邮件|纪要|说明|计划))|发给|发送|发回|发过去|发出去|发到|发一下|发邮件|准备(?!好了)|起草|拟定|完成|提交|交上去|上交|更新|确认|催回|催|回复(?!我们|我)|搭好|搭建|另找时间|续订|续签|续上|续费(?!率)|重开"
            r"|重新开|(?<!批)处理|整理|预订|订好|联系(?!方式|人|电话)|核实|检查|落实|签字|签署|关掉|关闭|填好|填写|补发|修改|做一份|分享|转发(?!邮件|[:：])|转给|问一下|问问|开始(?:谈|推进|对接)|录入|登记|敲定|审核|审批|审阅|审一下|过一下|对一下|(?<![研开出收批])发(?![票现生展布言货烧错了的])"
        ),
        TASK,
    ),
    PatternTrigger(
        re.compile(
            r"安排(?![:：])|(?<![续合节大公条契签预解违毁])约(?![定束])|预约|(?<![预修])订(?![单单购])|提醒(?![:：])"
        ),
        TASK,
        WEAK,
    ),
)
# 的 right before an event word ("周四的工作坊", "和奥马尔的电话") names an event already in the diary;
# "为销售启动会准备" names the event something is for.
_EVENT_REFERENCE = re.compile(r"的$")
_EVENT_PURPOSE = re.compile(r"(?<![华因作成认以行称])为[^，,。；;]{0,8}$")
_PLAN = re.compile(r"安排|约|预约|准备|记得|别忘|需要|要|希望|想|请|能否|能不能|可否")
_MOVE = re.compile(r"改到|改为|改成|改在|推迟到|延期到|提前到|挪到|换到")
_THIRD_PARTY_BEFORE = re.compile(
    r"(?<![给向和跟与帮对同让请把被])(?:他们|他|她|对方|客户|厂商)[^我，,]{0,3}$|等(?:待|着)?[^，,]{0,8}$"
)

_PAST = re.compile(
    r"(?<![为除忘])了(?!解|结|不起|吗)|(?<!是否)(?<!有没有)已经|(?<![是否经])已(?!损坏)|刚才|刚刚|过了一遍|[聊见谈开打]过"
)
# "周五前确认一下红字发票开了没有", "问一下预算批下来没有": the question asked (…了没有, 是否…) is not the
# clause's tense.
_EMBEDDED_QUESTION = re.compile(
    r"(?:确认|问|核实|检查|看看|看一下|了解)[^，,。；;]*?(?P<q>是否|有没有|[^，,。；;]{1,12}?了?没有?\s*[。？?]?\s*$)"
)
_FUTURE = re.compile(
    r"之后|然后|结束后|会后|回来|要|将|(?<!开)会(?!议)|需要|打算|计划|准备(?!好了)|安排|约|请|记得|别忘|晚点|晚些|稍后|等会|待会|(?<!不)再|下周|下个|明天|明早|明晚|后天|改到|改为|推迟到|提前到|改在|定在|希望|想"
)
_NEGATION = re.compile(
    r"没人|没有人|不用|不需要|无需|不必|不要|别(?!忘)|取消|暂时不|没必要|不再|没什么要做|暂不|没什么|没有需要|没有要|无须|没啥|不想|拒绝|没有其他|先不|先别"
)
# Hedges and reported speech: a maybe, or someone else's words, is not a plan of ours.
_HEDGE = re.compile(
    r"也许|或许|可能|大概|不确定|待定|暂定|待[^，,。]{0,6}确认|说不定|考虑|看情况|视情况|再说|回头|需要的话|如果需要|有需要|到时候再"
)
# "您提到的案例" (the case study you mentioned) names a thing; it does not report someone's words.
_REPORTED = re.compile(r"(?<![一再])说(?!明|一声)|听说|(?<![您你])提到(?!的)|据说|表示")
_REBOOK = re.compile(
    r"重新(?:约|安排|预约|定|确定|找)|另找时间|另约|改期|再约|再定(?:时间|日子|日期)|再找时间|另定"
)
# "不用再约": the rebooking itself is negated.
_REBOOK_NEGATED = re.compile(
    r"(?:不用|不需要|无需|不必|别|没必要|不要|不再)[^，,。；;]{0,3}(?:重新|另|再约|改期)"
)
_CONTENT = re.compile(
    r"资料|产品手册|手册|宣传册|宣传资料|彩页|成功案例|推荐案例|案例|白皮书|价格表|价目表|产品目录|目录|数据表|规格书|规格表|(?<!工作)说明书"
    r"|(?:集成|使用|操作|部署|安装)?指南|资质(?:文件|证明)?|营业执照|复印件|扫描件|产品介绍|公司介绍|(?:上线|实施|项目|推广|交付|部署)计划|时间表|排期表|样品|样本|样机|PPT|ppt|演示文稿|幻灯片|报告|视频|检查清单|(?<!问题)清单|模板|文档|计算器|证言|推荐信|介绍材料|证书|证明(?:文件)?|材料|对比表|录像|资料包|条款说明"
)
_DELIVERY = re.compile(
    r"交付|发给|发送|发过去|发一下|发到|发回|寄|提供|给到|分享|转发|传给|发(?![票现生展布言货烧错了])"
)
_REQUEST = re.compile(r"别忘了|记得|提醒|想要|需要|希望|索取|要求|请求|想先?看|感兴趣|要(?!给|求)")
_DEAL_DOCUMENT = re.compile(
    r"报价单?|合同|协议|试用账号|试用许可|许可证|修订稿|方案|订单|发票|工作说明书|标书|投标文件|意向书|NDA|SOW|PO"
)
_ISSUE = re.compile(
    r"投诉|抱怨|不满|问题|故障|报错|错误|出错|失败|闪退|崩溃|宕机|挂了|断了|断开|超时|卡住|卡死|无法|不能用|用不了|没法|打不开|登不上|登录不了"
    r"|辞职|离职|(?<![不没])离开(?!前|后|时|之前|以后|的时候)|威胁|不续约|不再续约|流失|被裁|裁员|退休|调岗|休产假|没有接替|没有对接人|逾期|有风险|砍了|停工|没收到|换供应商|卡了|卡在|被扣|拒收|被拒|退回|要丢|走了"
    r"|延迟|延误|太慢|很慢|(?:很|太|老是|总是|一直|有点|特别|非常|比较)卡|卡顿|[看找登打导收用听]不(?:[到了开上进出懂]|明白|清)|断线|掉线|有误|过不了|通不过|批不下来|谈不拢|签不了|付不了|拖欠|拖到"
    r"|不(?:太|大)?(?:认可|满意|接受|买账)|太贵|嫌贵|选了?(?:竞品|竞争对手|别家)|(?:换|转|改)(?:成|到|用)(?:竞品|竞争对手|别家)|竞品[^，,。]{0,4}便宜|用了?(?:竞品|别家)"
    r"|重组|人事变动|架构调整|换了?(?:好几个|几个|负责人|对接人)|换了?人|(?<!没)有意见|意见很大|不付|拖着|(?:价格|报价|费用|成本)[^，,。]{0,4}(?:太高|偏高|高了)|(?:上线|交付|项目|周期|进度|付款|回款)[^，,。]{0,6}(?:延期|推迟|往后推|拉长)"
    r"|损坏|坏了|缺少|少了|没有按|重复扣款|多扣|扣错|退款|开错|错了|不好用|[Bb]ug|BUG|异常|漏洞|崩了|恼火|生气|不高兴|差评|退货"
)
_ISSUE_NEGATION = re.compile(
    r"没有?[^，,。]{0,6}问题|没[^，,。]{0,4}投诉|没问题|无问题|问题不大|已解决|解决了|已修复|修复了|一切正常|都正常|没有异议|无异议|修复得"
)
_QUESTION_SENSE = re.compile(r"回复|回答|答复|解答|问题清单|问题列表")
_RESOLVED = re.compile(
    r"已解决|解决了|已修复|修复了|解答了|回答了|答复了|已恢复|恢复了|恢复正常|一切正常|处理好了|搞定了"
)
_NEXT_DAY = re.compile(r"第二天|次日|隔天|翌日")
_NOT_CUSTOMER_ISSUE = re.compile(r"航班|火车|高铁|堵车|天气")
_ATTENDEE = re.compile(
    r"(?:和|与|跟|同|约|见|拜访)(?P<name>[^，。；、\s和与跟一]{1,8}?)(?=一起|在|开|见|会面|吃|喝|电话|聊|约|做|过|沟通|确认|碰)"
)
_HAN_TOKEN = re.compile(r"[^\s，,：:（()）；;。、]+")
_TITLE = re.compile(
    r"(?:(?:(?![的和与了是在])[\u4e00-\u9fffA-Za-z]){0,4}(?:总经理|副总裁|副总|总裁|总监|经理|主管|负责人|工程师|董事长|主任|专员|顾问|秘书|助理|会计|律师|决策人|联系人|对接人))"
    r"|CEO|CFO|CTO|COO|CIO|VP"
)
_CONTACT_CUE = re.compile(r"新联系人|联系人|联系方式|对接人|决策人|负责人|介绍|名片|手机|电话[\s:：]*[+\d]")
_CLAUSE_SPLIT = re.compile(
    r"\s*(?:[，,；;]|\s+(?=\d{1,2}[)）.、]))\s*(?:(?P<conn>然后|并且|并|另外|再|同时|还要|还有|也|之后|随后|接着)\s*)?"
    r"|(?P<conn2>然后|另外|并且|并(?=[把发给准备提])|(?<![\d天周月时钟年号日点分个])之后|随后|接着)"
)


# "……，并发给保罗", "……，明天之前发出去": sending what the previous clause prepares is the same task.
_CONTINUES = re.compile(
    r"^\s*(?:并|然后|再)?\s*(?:把它)?(?:[^，,]{0,8}?)(?:发给|发出去|发过去|转给|分享给|发送给|寄给|提交|交给|递交)(?![^，,]*(?:资料|手册|案例|白皮书|价格表|报价))"
)
_INTRODUCTION = re.compile(
    r"(?:给你介绍一下|给您介绍一下|介绍你认识|向你介绍|我来介绍一下|让我介绍一下|介绍一下|介绍下)[：:，,\s]*(?:这是|这位是)?"
    r"(?:我们的|我的|新来的|新)?(?:同事|领导|老板|朋友|客户|联系人)?(?P<name>[\u4e00-\u9fff]{2,4}?)(?=[，,。（(\s]|$|先生|女士|经理|总)"
)


# "希望我们出一份培训计划", "把方案做好": collateral to be made is a task, not a request to send it.
_PRODUCTION = re.compile(r"[出写做]一?[份个版]|[做弄写出]好|起草|准备")
_PREPARATION = re.compile(r"准备|起草|写|[出写]一?[份个版]|做一份")
_SCHEDULING = re.compile(r"安排|约|预约|订")
_OTHER_SUBJECT = re.compile(r"^\s*(?:他们|他|她|对方|客户|厂商)(?:会|要|将|说)")
_REMEDY = re.compile(r"处理|解决|修复|排查|重开|重新开|补发|退款|更正")


class Chinese:
    """Chinese notes: see the module docstring of :mod:`rapport.ml.notes.timeexpr` for date conventions."""

    code = "zh"

    def preload(self) -> None:
        """Load jieba's dictionary and part-of-speech tables now (about 2.5 s, once per process), e.g.
        before forking workers, so that they share it instead of each loading it on first need."""
        _jieba_posseg()

    def detect(self, text: str) -> float:
        han, latin = script_counts(text)
        han_words = han / 1.7
        total = han_words + latin
        return han_words / total if total else 0.0

    def clauses(self, sentence: str) -> list[tuple[int, int, bool]]:
        out: list[tuple[int, int, bool]] = []
        start, connector = 0, False
        for match in _CLAUSE_SPLIT.finditer(sentence):
            if match.end() == match.start():
                continue
            if match.start() > start:
                out.append((start, match.start(), connector))
            start = match.end()
            connector = bool(match.group("conn") or match.group("conn2"))
        if start < len(sentence):
            out.append((start, len(sentence), connector))
        return out

    def is_connector(self, gap: str) -> bool:
        return _CONNECTOR.fullmatch(gap) is not None

    def is_superseded(self, clause: str, start: int, end: int, later_starts: list[int]) -> bool:
        if not _FROM_BEFORE.search(clause[:start]):
            # "明天的电话能不能改到下午3点半": a time named after a move verb replaces the earlier one
            return any(_MOVE_BEFORE.search(clause[:later]) for later in later_starts if later > end)
        return any(_TO_BEFORE.search(clause[:later]) for later in later_starts if later > end)

    def time_atoms(self, clause: str) -> list[TimeAtom]:
        if _MAY_HAVE_TIME.search(clause) is None:
            return []
        atoms = [*_day_atoms(clause), *_date_atoms(clause), *_period_atoms(clause), *_offset_atoms(clause)]
        taken = [(a.start, a.end) for a in atoms if a.kind in ("abs_date", "offset", "day_of_month")]
        return [*atoms, *_clock_atoms(clause, taken), *_part_atoms(clause)]

    def triggers(self, clause: str, masked: str) -> list[Trigger]:
        found: list[Trigger] = []
        for spec in _TRIGGERS:
            for m in spec.pattern.finditer(masked):
                if spec.type == TASK and _THIRD_PARTY_BEFORE.search(masked[: m.start()]):
                    continue
                if spec.type == TASK and masked[m.end() : m.end() + 1] == "的":
                    continue  # "发过去的货", "签好的合同": a verb before 的 describes a thing
                if spec.type != TASK and _is_reference(masked[: m.start()], clause):
                    continue  # "周四的工作坊都准备好了", "和奥马尔的电话还行": an event referred to
                found.append(Trigger(m.start(), m.end(), spec.type, spec.strength, spec.default_time))
        return found

    def cues(self, clause: str) -> Cues:
        rebook = _REBOOK.search(clause) is not None and _REBOOK_NEGATED.search(clause) is None
        question = _EMBEDDED_QUESTION.search(clause)
        return Cues(
            past=_PAST.search(clause[: question.start("q")] if question else clause) is not None,
            future=_FUTURE.search(clause) is not None or rebook,
            negated=(
                (_NEGATION.search(clause) is not None and not rebook)
                or _HEDGE.search(clause) is not None
                or _REPORTED.search(clause) is not None
            ),
            rebook=rebook,
        )

    def content_items(self, clause: str) -> list[tuple[int, int]]:
        return [m.span() for m in _CONTENT.finditer(clause)]

    def has_delivery(self, clause: str) -> bool:
        return any(not _THIRD_PARTY_BEFORE.search(clause[: m.start()]) for m in _DELIVERY.finditer(clause))

    def has_request(self, clause: str) -> bool:
        return _REQUEST.search(clause) is not None

    def has_deal_document(self, clause: str) -> bool:
        return _DEAL_DOCUMENT.search(clause) is not None

    def deal_document_span(self, clause: str) -> tuple[int, int] | None:
        m = _DEAL_DOCUMENT.search(clause)
        return m.span() if m else None

    def resolves_issue(self, clause: str) -> bool:
        return _RESOLVED.search(clause) is not None

    def is_next_day(self, clause: str) -> bool:
        return _NEXT_DAY.search(clause) is not None

    def issue_span(self, clause: str) -> tuple[int, int] | None:
        if _ISSUE_NEGATION.search(clause) or _NOT_CUSTOMER_ISSUE.search(clause):
            return None
        for m in _ISSUE.finditer(clause):
            if m.group() == "问题" and _QUESTION_SENSE.search(clause):
                continue
            return m.span()
        return None

    def attendees(self, clause: str) -> list[str]:
        return [m.group("name") for m in _ATTENDEE.finditer(clause)]

    def contact_name(self, sentence: str, anchor: int) -> tuple[int, int] | None:
        tokens = list(_HAN_TOKEN.finditer(sentence[:anchor]))
        for token in reversed(tokens[-4:]):
            text = token.group()
            start = token.start()
            titles = list(_TITLE.finditer(text))
            if titles:
                rest = text[titles[-1].end() :]
                if 2 <= len(rest) <= 5 and not _CONTACT_CUE.search(rest):
                    return start + titles[-1].end(), token.end()
                continue
            if _CONTACT_CUE.search(text) or "@" in text or re.search(r"\d", text):
                continue
            if 2 <= len(text) <= 6 and not re.search(r"[的了和是在]", text) and text not in _FIELD_LABELS:
                return token.span()
        return _jieba_name(sentence, anchor)

    def job_title(self, sentence: str) -> tuple[int, int] | None:
        for m in _TITLE.finditer(sentence):
            if not re.search(r"(?:联系人|对接人|决策人)$", m.group()):
                return m.span()
        return None

    def continues_previous(self, clause: str) -> bool:
        return _CONTINUES.search(clause) is not None

    def is_production(self, clause: str) -> bool:
        return _PRODUCTION.search(clause) is not None and _DELIVERY.search(clause) is None

    def is_preparation(self, word: str) -> bool:
        return _PREPARATION.match(word) is not None

    def schedules(self, word: str) -> bool:
        return _SCHEDULING.fullmatch(word) is not None

    def subject_is_other(self, clause: str) -> bool:
        return _OTHER_SUBJECT.match(clause) is not None

    def is_remedy(self, word: str) -> bool:
        return _REMEDY.fullmatch(word) is not None

    def introductions(self, sentence: str) -> list[tuple[int, int]]:
        return [m.span("name") for m in _INTRODUCTION.finditer(sentence)]

    def has_contact_cue(self, sentence: str) -> bool:
        return _CONTACT_CUE.search(sentence) is not None


def _day_atoms(clause: str) -> list[TimeAtom]:
    """Days: "明天", "明早", "下周二"."""
    atoms: list[TimeAtom] = []
    for m in _REL_DAY.finditer(clause):
        word = m.group()
        atoms.append(TimeAtom(m.start(), m.end(), "rel_day", (_REL_DAYS[word],)))
        if word[-1] in "早晚":
            atoms.append(
                TimeAtom(m.end(), m.end(), "part", ("morning" if word[-1] == "早" else "evening", False))
            )
    for m in _WEEKDAY.finditer(clause):
        mod = m.group("mod") or ""
        modifier = (
            "next2"
            if mod.startswith("下下")
            else "next"
            if mod.startswith("下")
            else "last"
            if mod.startswith("上")
            else "this"
            if mod
            else ""
        )
        atoms.append(TimeAtom(m.start(), m.end(), "weekday", (_WEEKDAY_CHARS[m.group("day")], modifier)))
    return atoms


def _date_atoms(clause: str) -> list[TimeAtom]:
    """Dates: "5月14日", "5/14", "14号"."""
    atoms: list[TimeAtom] = []
    for regex in (_ABS_DATE, _NUMERIC_DATE):
        for m in regex.finditer(clause):
            month, day = _cn_number(m.group("month")), _cn_number(m.group("day"))
            year = m.groupdict().get("year")
            if month and day and 1 <= month <= 12 and 1 <= day <= 31:
                atoms.append(
                    TimeAtom(m.start(), m.end(), "abs_date", (int(year) if year else None, month, day))
                )
    for m in _DAY_OF_MONTH.finditer(clause):
        day = _cn_number(m.group("day"))
        if day and 1 <= day <= 31:
            atoms.append(TimeAtom(m.start(), m.end(), "day_of_month", (day,)))
    return atoms


def _period_atoms(clause: str) -> list[TimeAtom]:
    """Weeks and months: "下周", "本周末", "月底", "下个月初"."""
    atoms: list[TimeAtom] = []
    for m in _WEEK.finditer(clause):
        mod = m.groupdict().get("mod") or ""
        offset = (
            2 if mod.startswith("下下") else 1 if mod.startswith("下") else -1 if mod.startswith("上") else 0
        )
        weekend = bool(m.groupdict().get("sub")) or m.group().endswith("周末")
        sub = ""
        if weekend:
            sub = "end" if _WEEKEND_BEFORE.match(clause[m.end() :]) else "weekend"
        atoms.append(TimeAtom(m.start(), m.end(), "week", (offset, sub)))
    for m in _MONTH.finditer(clause):
        if m.group() == "年底":
            atoms.append(TimeAtom(m.start(), m.end(), "month", (None, 12, "end")))
            continue
        mod = m.group("mod") or ""
        offset = 1 if mod.startswith("下") else -1 if mod.startswith("上") else 0
        sub_char = m.group("sub") or m.group("sub2") or m.group("sub3") or ""
        sub = {
            "底": "end",
            "末": "end",
            "初": "start",
            "中": "mid",
            "上旬": "start",
            "中旬": "mid",
            "下旬": "end",
        }.get(sub_char, "")
        number = _cn_number(m.group("num")) if m.group("num") else None
        if number is not None and not 1 <= number <= 12:
            continue
        atoms.append(TimeAtom(m.start(), m.end(), "month", (None if number else offset, number, sub)))
    return atoms


def _offset_atoms(clause: str) -> list[TimeAtom]:
    """Offsets: "两天后", "半小时内", "三周前"."""
    atoms: list[TimeAtom] = []
    for m in _OFFSET.finditer(clause):
        amount = 0.5 if m.group("n") == "半" else float(_cn_number(m.group("n")) or 0)
        if m.group("half"):
            amount += 0.5
        unit_text = m.group("unit")
        unit = {
            "分钟": "minutes",
            "小时": "hours",
            "钟头": "hours",
            "天": "days",
            "日": "days",
            "月": "months",
        }.get(unit_text, "weeks")
        direction = m.group("dir")
        if direction.endswith("前"):
            amount = -amount
        atoms.append(TimeAtom(m.start(), m.end(), "offset", (amount, unit, direction.endswith("内"))))
    return atoms


def _clock_atoms(clause: str, taken: list[tuple[int, int]]) -> list[TimeAtom]:
    """Clock times: "下午4点", "10-11点", "16:00", "3pm"; none inside the spans ``taken`` (dates, offsets)."""
    atoms: list[TimeAtom] = []
    for m in _CLOCK.finditer(clause):
        if overlapping(taken, m.start(), m.end()):
            continue
        hour = _cn_number(m.group("h"))
        if hour is None or hour > 24 or (_A_BIT.search(clause[: m.start()]) and m.group("h") == "一"):
            continue
        if m.group("h0") and not m.group("h2"):
            # "10-11点": the first number is the start hour, the one with 点 the end
            start_hour = int(m.group("h0"))
            if start_hour < hour <= 24:
                atoms.append(TimeAtom(m.start(), m.end(), "clock", (start_hour, 0, "", hour, 0, "")))
                continue
        minute = (
            30
            if m.group("half")
            else (15 if m.group("q") == "一刻" else 45)
            if m.group("q")
            else _cn_number(m.group("m") or "0") or 0
        )
        end_hour = _cn_number(m.group("h2")) if m.group("h2") else -1
        end_minute = 30 if m.group("half2") else _cn_number(m.group("m2") or "0") or 0
        atoms.append(
            TimeAtom(
                m.start(),
                m.end(),
                "clock",
                (hour, minute, "", end_hour if end_hour is not None else -1, end_minute, ""),
            )
        )
    for m in _COLON_CLOCK.finditer(clause):
        hour = int(m.group("h"))
        if hour > 24 or overlapping(taken, m.start(), m.end()):
            continue
        end_hour = int(m.group("h2")) if m.group("h2") else -1
        atoms.append(
            TimeAtom(
                m.start(),
                m.end(),
                "clock",
                (hour, int(m.group("m")), "", end_hour, int(m.group("m2") or 0), ""),
            )
        )
    for m in _LATIN_MER.finditer(clause):
        mer = "pm" if m.group("mer").lower() == "pm" else "am"
        atoms.append(
            TimeAtom(m.start(), m.end(), "clock", (int(m.group("h")), int(m.group("m") or 0), mer, -1, 0, ""))
        )
    return atoms


def _part_atoms(clause: str) -> list[TimeAtom]:
    """Parts of the day: "上午", "晚上", "下班前"."""
    atoms: list[TimeAtom] = []
    for m in _PART.finditer(clause):
        word = m.group()
        part = "eod" if word.startswith("下班") else _PARTS[word]
        atoms.append(TimeAtom(m.start(), m.end(), "part", (part, False)))
    return atoms


_FIELD_LABELS = frozenset(
    {"电话", "手机", "邮箱", "微信", "地址", "职位", "座机", "传真", "邮件", "号码", "联系方式"}
)
_JIEBA: list[object] = []


def _jieba_posseg() -> object:
    """jieba's part-of-speech tagger, its dictionary loaded (once per process)."""
    if not _JIEBA:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(60)
        jieba.dt.initialize()
        _JIEBA.append(jieba.posseg)
    return _JIEBA[0]


def _jieba_name(sentence: str, anchor: int) -> tuple[int, int] | None:
    """The person name nearest before ``anchor`` by jieba's part-of-speech tags (``nr``); jieba
    loads its dictionary from its package once per process (about 1.5 s), only when needed."""
    posseg = _jieba_posseg()
    best = None
    position = 0
    for pair in posseg.cut(sentence[:anchor]):  # type: ignore[attr-defined]
        word, flag = pair.word, pair.flag
        start = sentence.find(word, position)
        position = start + len(word)
        if flag.startswith("nr") and len(word) >= 2:
            best = (start, position)
    return best


def _cn_number(text: str | None) -> int | None:
    """``"12"``, ``"十二"``, ``"两"``, ``"二十一"`` -> int; ``None`` when unreadable."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens_text, _, units_text = text.partition("十")
        tens = _CN_DIGITS.get(tens_text, 1) if tens_text else 1
        units = _CN_DIGITS.get(units_text, 0) if units_text else 0
        return tens * 10 + units
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


def _is_reference(before: str, clause: str) -> bool:
    """The event word after ``before`` is referred to, not to be created (unless moved or planned)."""
    if _EVENT_PURPOSE.search(before):
        return True
    if not _EVENT_REFERENCE.search(before):
        return False
    return not (_MOVE.search(clause) or _PLAN.search(clause))
