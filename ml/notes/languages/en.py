"""English: date grammar, trigger words and cues for notes analysis."""

from __future__ import annotations

import re
from datetime import time

from rapport.ml.notes.languages.base import (
    STRONG,
    WEAK,
    Cues,
    PatternTrigger,
    Trigger,
    overlapping,
    prefiltered,
)
from rapport.ml.notes.suggestion import APPOINTMENT, PHONE_CALL, TASK
from rapport.ml.notes.text import script_counts
from rapport.ml.notes.timeexpr import TimeAtom

_I = re.IGNORECASE

_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "a couple of": 2, "few": 3, "a few": 3,
    "half an": 0.5, "half a": 0.5,
}  # fmt: skip
_NUMBER = r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:a )?couple of|(?:a )?few|half an?)"
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|saturday|sunday)"
)
_CLOCK_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip
_HOUR_WORD = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_MER = r"(?:a\.?m\.?|p\.?m\.?)(?![a-z])"

_TODAYISH = re.compile(
    r"\b(?P<w>today|tonight|tomorrow|tomorow|tommorow|tommorrow|tomorrw|tmrw|tmr|2moro|day after tomorrow|yesterday|yday|yest)\b",
    _I,
)
_WEEKDAY_RE = re.compile(
    rf"\b(?:(?P<mod>next|this|coming|this coming|last|past)\s+)?(?P<day>{_WEEKDAY})\b\.?", _I
)
_ABS_MD = re.compile(
    rf"\b(?P<month>{_MONTH})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?![:.]\d)(?:,?\s*(?P<year>20\d\d))?", _I
)
_ABS_DM = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH})(?:,?\s*(?P<year>20\d\d))?(?![a-z])",
    _I,
)
_ISO = re.compile(r"\b(?P<year>20\d\d)-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b")
_SLASH = re.compile(r"(?<![\d/])(?P<month>\d{1,2})/(?P<day>\d{1,2})(?:/(?P<year>(?:20)?\d\d))?(?![\d/])")
_ORDINAL = re.compile(r"\b(?:the\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:of\s+)?" + _MONTH + ")", _I)
_WEEK = re.compile(
    r"\b(?:(?:by\s+)?(?:the\s+)?(?P<end>end of|eo)\s*(?:the\s+)?(?P<mod1>this\s+|next\s+)?(?:week|wk)\b|eow\b|by the weekend"
    r"|(?P<early>early\s+)?(?P<mod2>next|this|last|the following)\s+(?:week|wk)(?:'s|’s)?\b|(?P<mod3>this|next)\s+weekend\b)",
    _I,
)
_MONTH_REL = re.compile(
    rf"\b(?:(?:by\s+)?(?:the\s+)?(?P<end>end|beginning|start|middle|mid)(?:\s+of|-)\s*(?:the\s+)?(?:(?P<mod1>this|next)\s+)?(?:month|(?P<name>{_MONTH}))\b|eom\b"
    r"|(?P<mod2>next|this|last)\s+month\b)",
    _I,
)
_OFFSET = re.compile(
    rf"\b(?:(?P<within>within|in|after)\s+(?:the\s+next\s+)?(?P<n1>{_NUMBER})\s+(?P<u1>min(?:ute)?s?|hours?|hrs?|days?|weeks?|wks?|months?)\b"
    rf"|(?P<n2>{_NUMBER})\s+(?P<u2>days?|weeks?|months?)\s+(?P<dir>from now|later|out|ago|back)\b"
    rf"|(?P<n3>a|one)\s+week\s+from\s+(?P<base>today|tomorrow))",
    _I,
)
_CLOCK = re.compile(
    rf"(?<![\d:/.$€£-])(?P<h>\d{{1,2}})(?::(?P<m>\d{{2}})|\.(?P<m2>\d{{2}})(?=\s*{_MER}))?\s*(?P<mer>{_MER})?"
    rf"(?:\s*(?:-|–|—|to|till|until)\s*(?P<h2>\d{{1,2}})(?::(?P<n2>\d{{2}}))?\s*(?P<mer2>{_MER})?)?(?![\d%])",
    _I,
)
_AT_HOUR = re.compile(
    rf"(?:\b(?:at|around|by|from|after|before)\s+|@\s*)(?P<h>{_HOUR_WORD})(?![\d:%/]|\.\d)(?:\s*(?:o'?clock|sharp))?\b",
    _I,
)
_HALF = re.compile(rf"\b(?:(?P<q>half|quarter)\s+(?P<rel>past|to)\s+(?P<h>{_HOUR_WORD}))\b", _I)
_PART = re.compile(
    r"\b(?P<this>this\s+|in the\s+|tomorrow\s+|early\s+|late\s+)?(?P<part>morning|afternoon|evening|eve|tonight|night|noon|midday|lunchtime|lunch time"
    r"|eod|end of (?:the )?(?:business )?day|end of business|cob|close of business|first thing)\b",
    _I,
)
_PARTS = {
    "morning": "morning", "first thing": "morning", "noon": "noon", "midday": "noon", "lunchtime": "noon", "lunch time": "noon",
    "afternoon": "afternoon", "evening": "evening", "eve": "evening", "tonight": "evening", "night": "evening",
}  # fmt: skip

# Cheap gate: a clause without a digit or any of these stems has no time expression.
_MAY_HAVE_TIME = re.compile(
    r"\d|\b(?:to|tmr|tmrw|2moro|yday|yest|mon|tue|wed|thu|fri|sat|sun|week|wk|eow|eom|month|end|beginning|start|middle|mid|next|this|in|within"
    r"|after|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an|half|quarter|noon|midday|midnight|morning|afternoon"
    r"|evening|eve|tonight|night|lunch|eod|cob|close|first|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    _I,
)
_CONNECTOR = re.compile(
    r"[\s,]*(?:(?:at|on|@|around|about|by|from|for|in|in the|the|of|-|–|—|,|\(|\)|before|after|between)[\s,]*)*",
    _I,
)
_FROM_BEFORE = re.compile(r"\bfrom\s+$", _I)
_TO_BEFORE = re.compile(r"\b(?:to|until|till|into)\s+$", _I)

# --- triggers ------------------------------------------------------------------------------------
_APPOINTMENT_WORDS = (
    r"meet(?:ing|ings|up)?(?!\s+room)|meetting|meting|metting|mtg|catch[- ]?up|get[- ]together|lunch|dinner|breakfast|coffee|drinks|happy hour"
    r"|demo(?:nstration)?|presentation|present|workshop|kick[- ]?off|on[- ]?site|site visit|visit|session|deep[- ]dive|walk[- ]?through"
    r"|qbr|business review|review meeting|conference call|video call|zoom|teams call|teams meeting|webex|google meet|webinar"
    r"|appointment|interview|offsite|off-site|follow[- ]up meeting|tour|sync(?=\s+(?:with\b|w/))|sync[- ]up|meet[- ]and[- ]greet|lunch (?:and|&) learn|drop (?:by|in)|stop by|swing by|pop (?:in|by)"
    r"|tel(?:e)?[- ]?conf(?:erence)?(?: call)?|con(?:f|ference) call"
    r"|training(?: session)?"
    # "Can we schedule 30 min next week", "book the follow-up for mid June": a slot in the diary
    r"|(?:schedule|book|set up|grab|block(?: out)?|put in|find)\s+(?:a\s+|an\s+)?(?:(?:\d+|fifteen|twenty|thirty|forty[- ]five|sixty|half an?)\s*-?\s*(?:min(?:ute)?s?|hours?|hrs?)|time slot|slot)(?![\w-]*\s+(?:call|phone|ring))"
    r"|(?:book|schedule|arrange|set up|plan|organi[sz]e)\s+(?:the\s+|a\s+|an\s+|our\s+)?(?:next\s+)?follow[- ]?ups?(?!\s+(?:call|email|e-mail|mail))"
)
# "webinar invite", "meeting notes", "training schedule": the event word names another thing.
_EVENT_MODIFIER = r"(?!\s+(?:invites?|invitations?|links?|agenda|notes|minutes|recordings?|rooms?|slides|deck|summary|materials?|schedules?|plan|videos?|docs|guide|manual|records?|kits?|units?|environments?|accounts?|equipment|hardware|licen[cs]es?)\b)"
_PHONE_WORDS = r"call(?:\s+back)?|phone call|follow[- ]?up (?:phone )?call|follow[- ]?up (?:with|by) (?:a )?(?:call|phone)|give (?:[\w.'’]+\s+){1,3}a (?:quick )?(?:call|ring|buzz|shout|bell)|try (?:(?:him|her|them|[a-z]+)\s+)?again|call-?backs?"
_PHONE_VERBS = r"ring|phone|dial|call"
_TASK_VERBS = (
    r"book (?:the |a )?(?:travel|flights?|hotels?|(?:meeting )?room|train|tickets?)|drop off|open (?:a |an )?(?:support )?(?:ticket|case|incident)|revise|amend|adjust|correct|redo|rework|bring|remind|follow[- ]?up|f/u|send|resend|email|e-mail|mail|prepare|prep|draft|finali[sz]e|finish|complete|submit|update|review|check|confirm|chase"
    r"|renew|reply|respond|get back|get|share|reissue|order|organi[sz]e|ask|sign|fix|create|write|put together|compile|calculate|look into"
    r"|find out|close out|close|reach out|contact(?!\s*(?::|info|details|person))|invite|loop in|escalate|file|log|raise|register|upload|forward|cc|book|set up|schedule"
    r"|arrange|plan|print|ship|deliver|pay|verify|double-check|research|investigate|remind (?:\w+ )?about|(?:todo|to-do|action item)(?!s?\s*:\s*$)"
    r"|ping|nudge|chase up|touch base|check in|circle back|sort out|set a reminder|re-?book|re-?schedule|introduce|circulate"
    r"|find (?:a )?new (?:slot|date|time)|negotiate|(?:start|begin|open|kick off) (?:the )?(?:negotiations?|talks|discussions|renewal(?: talks)?|onboarding|procurement)|revisit"
)
_WEAK_VERBS = frozenset(
    {"book", "set up", "schedule", "arrange", "plan", "organise", "organize", "get", "ask", "remind"}
)
_IMPERATIVE_PREFIX = re.compile(
    r"^[\s\-*•·>:.)(\d\"'“”+]*(?:(?:pls|please|plz|kindly|also|and|then|so|now|afterwards|after that|and afterwards|todo|to-do|to do|reminder|remember to|don'?t forget to|do not forget to"
    r"|need to|needs to|we need to|i need to|we must|i must|must|should|we should|i should|will|i will|i'll|we will|we'll|have to|we have to"
    r"|i have to|got to|gotta|let'?s|lets|action|action item|next step|next steps|follow[- ]?up(?=\s*:)|ns|ai|asap|urgent|me|self|note to self|reminder to self"
    r"|can you|could you|can u|could u|try to|make sure to|be sure to|quickly|first|afterwards|plus)[\s:,\-]*)*$",
    _I,
)
# "today's call", "yesterday's demo", "last week's meeting": an event referred to, not one to create.
_EVENT_REFERENCE = re.compile(
    rf"\b(?:today|yesterday|tonight|this morning|this afternoon|last \w+|tomorrow|{_WEEKDAY})['’]s\s+(?:[\w-]+\s+)?$"
    # "Mr. Tanaka will join the call on Friday", "attend the workshop": an event someone joins exists already
    r"|\b(?:join(?:s|ing)?|attend(?:s|ing)?|dial(?:s|ling)? into)\s+(?:the|our|their|that)\s+(?:[\w-]+\s+)?$",
    _I,
)
_HEADING = re.compile(r"^[\s\-*•·>]*[\w'’ /&-]{1,40}:\s*(?=\S*$)")
_INFINITIVE_BEFORE = re.compile(r"\bto\s+$", _I)
# "I promised to send", "we agreed to share": our own commitment, an action for us.
_OUR_INFINITIVE = re.compile(
    # "Promised to send an engineer" with no subject: the writer's own promise
    r"\b(?:i|we)\s+(?:promised|agreed|offered|committed|want|need|have)\s+to\s+$|^\W*(?:promised|agreed|offered|committed)\s+to\s+$",
    _I,
)
# "threatened to escalate", "they plan to review": an infinitive that is someone else's intention.
_NOT_OUR_INFINITIVE = re.compile(
    r"\b(?:wants?|wanted|going|plans?|planning|planned|like|threaten(?:s|ed)?|promised|agreed|decided|tried|hoping|hopes?|expects?|expected"
    r"|likely|used|able|about|due|supposed|happy|keen|willing|ready|started|began|continues?|seems?)\s+to\s+$",
    _I,
)
_THIRD_PARTY_BEFORE = re.compile(
    r"\b(?:they|he|she|it|the customer|the client|customer|client|their \w+)(?:\s+|(?=['’]))(?:will|'ll|would|is going to|are going to|plans? to|might|may|should|can|could|shall)?\s*(?:also\s+)?$",
    _I,
)

_CALL_REPORT = r"(?!\s+(?:summary|notes|recap|minutes|log|report)\b)"

_TRIGGERS = (
    PatternTrigger(re.compile(r"\b(?:lunch|lunchtime)\b", _I), APPOINTMENT, STRONG, time(12, 0)),
    PatternTrigger(re.compile(r"\bdinner\b", _I), APPOINTMENT, STRONG, time(19, 0)),
    PatternTrigger(re.compile(r"\bbreakfast(?: meeting)?\b", _I), APPOINTMENT, STRONG, time(8, 0)),
    PatternTrigger(
        re.compile(rf"\b(?<!\bin )(?<!\bin a )(?:{_APPOINTMENT_WORDS})\b{_EVENT_MODIFIER}", _I), APPOINTMENT
    ),
    # "Call summary:", "call notes": the call word names a report of a call
    PatternTrigger(re.compile(rf"\b(?:{_PHONE_WORDS})\b{_CALL_REPORT}", _I), PHONE_CALL),
    PatternTrigger(re.compile(rf"\b(?:{_PHONE_VERBS})\b{_CALL_REPORT}", _I), PHONE_CALL, STRONG, None, True),
    # "sign-off", "check-in": a verb joined by a hyphen names a thing
    PatternTrigger(re.compile(rf"\b(?:{_TASK_VERBS})\b(?!-\w)", _I), TASK, STRONG, None, True),
)

# --- cues ------------------------------------------------------------------------------------------
_PAST = re.compile(
    r"(?<!\bthe )(?<!\bour )(?<!\btheir )(?<!\ban )(?<!\ba )(?<!\bthis )(?<!\bthat )(?<!\byour )\b(?:met|called|spoke|talked|chatted|discussed|had|went|was|were|did|visited|attended|happened|sent|emailed|presented|demoed"
    r"|walked|signed|approved|received|gave|showed|left|tried|sat|finished|completed|delivered|held|ran|took place|loved|liked"
    r"|enjoyed|agreed|reviewed|shared|mentioned|told|asked|joined|hosted|caught up)\b",
    _I,
)
# "Ask Mario whether the budget got approved": the tense of the question asked is not the clause's.
_EMBEDDED_QUESTION = re.compile(
    r"\b(?:ask|check|confirm|find out|see|verify|double-check)\b[^.;]*?\b(?P<q>whether|if)\b", _I
)
_FUTURE = re.compile(
    r"\b(?:will|'ll|going to|need|needs|must|should|let'?s|please|pls|schedule|set up|arrange|book|plan|wants?|would like|'d like"
    r"|moved to|rescheduled|postponed to|pushed to|todo|to-do|remind|reminder|next|tomorrow|tmrw|upcoming|don'?t forget|asap"
    r"|could we|can we|shall we|asked (?:if|whether) (?:we|you) (?:could|can)|would it be possible|how about|would love to|afterwards|after that|on the way back|if you want)\b|'ll\b",
    _I,
)
_NEGATION = re.compile(
    r"\b(?:no need|not needed|not necessary|don'?t(?! forget)|do not(?! forget)|never|cancel(?:l?ed|s)?|called off|won'?t|will not|no longer"
    r"|not going to|no action|nothing to do|nothing actionable|hold off|on hold|until (?:legal|they|we|he|she)"
    r"|nothing (?:to|for us to) (?:follow up|do)|no follow[- ]?up|no further action|did not|didn'?t|doesn'?t want|does not want|declined"
    r"|not (?:want|needed)|no need|postponed(?! to)|pushed back)\b",
    _I,
)
# Hedges and reported speech: someone else's words or a maybe are not a plan of ours.
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|probably|possibly|might|not sure|unsure|tbc|tbd|to be confirmed|at some point|some ?time|considering"
    r"|thinking (?:about|of)|tentative(?:ly)?|pencil(?:l?ed)? in)\b",
    _I,
)
_REPORTED = re.compile(
    r"\b(?:said|says|told (?:us|me)|(?<!\byou )(?<!\bwe )(?<!\bI )mentioned|according to|apparently|heard (?:that )?|informed us)\b",
    _I,
)
# A cancelled or postponed thing to be put back in the diary is a task, not a negation.
_REBOOK = re.compile(
    r"\b(?:re-?book|re-?schedule|re-?arrange|find (?:a )?new (?:slot|date|time)|set (?:up )?a new date|pick a new date)",
    _I,
)
# "no need to reschedule": the rebooking itself is negated.
_REBOOK_NEGATED = re.compile(
    r"\b(?:no need to|don'?t|do not|not|won'?t|will not|never|no)\s+(?:\w+\s+){0,2}(?:re-?book|re-?schedule|re-?arrange)",
    _I,
)
_CONTENT = re.compile(
    r"\b(?:(?:product |sales |marketing )?brochures?|leaflets?|flyers?|case stud(?:y|ies)|white ?papers?|data ?sheets?|one[- ]pagers?"
    r"|price ?lists?|pricing sheets?|price sheets?|rate cards?|catalog(?:ue)?s?|(?:slide )?decks?|slides|(?:\w+ )?guides?|manuals?"
    r"|documentation|docs|(?:soc ?2 |security |analyst |test )?reports?|references|testimonials?|videos?|recordings?|checklists?"
    r"|templates?|samples?|spec(?:ification)?s?(?: sheets?)?|faqs?|e-?books?|infographics?|(?:roi )?calculators?|literature|collateral"
    r"|copy of|materials?|handbooks?|presentations?|reference (?:lists?|cases?|customers?|accounts?|sites?|calls?)|pricing tiers?|certificates?|certifications?"
    r"|terms (?:&|and) conditions|warranty terms|(?:implementation |project )?timelines?(?: templates?)?|welcome packs?|training schedules?"
    r"|api docs)\b",
    _I,
)
_DELIVERY = re.compile(
    r"\b(?:send|resend|share|forward|email|e-mail|mail|provide|give|ship|post|get|deliver)\b(?:\s+(?:over|across|out))?",
    _I,
)
_REQUEST = re.compile(
    r"\b(?:asked (?:for|about|if|whether)|ask(?:s|ed|ing)? (?:(?:us|me|him|her|them) )?(?:for|4)|needed|would you mind sending|don'?t forget|remember|reminder|todo|to-do|can you (?:please )?send|could you (?:please )?send|requested|request(?:s)?|wants?|wanted|would like|'d like|needs?|interested in|looking for|keen on)\b",
    _I,
)
_DEAL_DOCUMENT = re.compile(
    r"\b(?:quotes?|quotations?|proposals?|contracts?|msa|sow|nda|redlines?|order forms?|po|purchase orders?|invoices?|agreements?|paperwork|sla|trial licen[cs]es?|licen[cs]e keys?|trial accounts?)\b",
    _I,
)
_ISSUE = re.compile(
    r"\b(?:complain(?:s|ed|ing|t|ts)?|problems?|issues? (?:with|on|in)|(?:an|the|this|that|big|major|open) issue|bugs?|broken|not working"
    r"|doesn'?t work|does not work|isn'?t working|stopped working|can'?t|cannot|unable to|crash(?:es|ed|ing)?|outage|(?:is|are|been|went) down"
    r"|downtime|stopped \w+ing|broke (?:their|the|our|down)|rejects?|rejecting|keeps? (?:blocking|failing|dropping|freezing|rejecting)|freez(?:es|ing)|froze|errors?|fail(?:s|ed|ing|ure|ures)?|timing out|times out|time-?outs?|delay(?:s|ed)?|overcharg\w*|double[- ]charged|charged twice"
    r"|wrong|incorrect|missing|damaged|defect(?:s|ive)?|unhappy|dissatisfied|frustrated|angry|upset|annoyed|escalat\w*|refund"
    r"|not happy|disappointed|too slow|slow|threaten\w*|stuck|unusable|complaint|furious|glitch(?:es)?|bugged|keeps? crashing)\b",
    _I,
)
_RISK = re.compile(
    r"\b(?:resign(?:ed|ing|s)?|(?:is|are) leaving|leaving the company|left the company|has left|(?:was|were|been|got) let go|laid off"
    r"|retir(?:ed|ing)|maternity leave|parental leave|no replacement|rejected|stalled|(?:will be |is |are |got )?blocked|(?:was|were|is|arrived|came) late"
    r"|at risk|overdue|lost (?:our|the|their) (?:main |key )?(?:contact|champion|sponsor)|(?:moving|switch(?:ing)?|move) to a competitor"
    r"|competitor (?:quoted|offered)|lose the deal|(?:budget|funding) (?:was |got |has been )?(?:cut|frozen)|(?:budget|funding)\b[^.;,]{0,30}?\b(?:was|were|got|been) (?:cut|slashed|reduced)|never received|billed twice"
    r"|need a new champion|no contact now|went down|warned"
    r"|moving to (?:a |another |the )?(?:different|new|other)\s+(?:division|role|team|department|job|company|position|business unit)"
    r"|(?:is|are|goes|going|be|been) on (?:\w+ )?leave|stall(?:s|ed|ing)?|demand(?:s|ing|ed)|or (?:they|he|she) (?:walk|leave|cancel|churn)"
    r"|walk away|(?:chose|chosen|picked|went with|going with|signed with|switching to) (?:a |the )?competitor|blocker"
    r"|(?:considering|evaluating|looking at|talking to|trialling|testing) (?:a |an |other |another |the )?(?:cheaper |rival |alternative )?(?:competitors?|vendors?|suppliers?|alternatives?)"
    r"|cheaper (?:vendor|supplier|competitor|alternative|option|offer))\b",
    _I,
)
_ISSUE_NEGATION = re.compile(
    r"\b(?:no (?:issues?|problems?|errors?|complaints?)|without (?:issues?|problems?|any)|resolved|fixed|all good|works now|not an issue|no longer)\b",
    _I,
)
_RESOLVED = re.compile(
    r"\b(?:resolved|fixed|sorted(?: out)?|works now|working again|back (?:up|online)|answered|cleared up|all good)\b",
    _I,
)
_NEXT_DAY = re.compile(
    r"\b(?:the\s+)?(?:next|following)\s+(?:day|morning|afternoon|evening)\b|\bthe day after\b(?!\s+tomorrow)",
    _I,
)
_NOT_CUSTOMER_ISSUE = re.compile(r"\b(?:flight|train|traffic|weather|my|our own)\b", _I)
_ATTENDEE = re.compile(
    r"\b(?:with|meet|w/)\s+(?:the\s+)?(?P<name>(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’-]+){0,2})"
)
_NAME = re.compile(r"(?<![\w@.])(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){1,2}\b")
_TITLE = re.compile(
    r"\b(?:c[eftoi]o|cmo|ciso|cro|chief \w+ officer|(?:senior |executive )?vice president(?: of \w+)?|svp(?: \w+)?|evp(?: \w+)?|vp(?: of)?(?: (?-i:[A-Z])\w+)?"
    r"|head of [A-Za-z]+(?: (?-i:[A-Z])\w+)?|(?:(?:[A-Za-z]+ ){0,2})(?:manager|director|lead|officer|engineer|architect|buyer|analyst|consultant"
    r"|specialist|administrator|admin|coordinator|founder|owner|partner|president|controller|counsel))\b",
    _I,
)
_NAME_STOP = frozenset(
    {"new", "contact", "intro", "introduction", "from", "call", "meet", "send", "email", "the", "their", "our", "head", "vp", "procurement",
     "manager", "director", "operations", "finance", "support", "lead", "details", "decision", "maker", "spoke", "with", "tel", "mobile",
     "phone", "it", "at", "of", "and"}
)  # fmt: skip
_CONTACT_CUE = re.compile(
    r"\b(?:new (?:contact|decision[- ]maker|stakeholder|champion|buyer)|contact (?:details|info)|intro(?:duction)?(?: from| to)?|introduced"
    r"|decision[- ]maker|day-to-day contact|point of contact|poc|reach (?:him|her) at|his (?:e-?mail|number|mobile)|her (?:e-?mail|number|mobile)"
    r"|mobile|cell|direct line)\b",
    _I,
)
_ACTION_VERB = (
    r"(?:please\s+)?(?:send|call|ring|phone|meet|book|email|e-mail|prepare|prep|draft|update|share|schedule|set up|arrange|follow up"
    r"|check|confirm|invite|review|submit|finali[sz]e|write|circulate|chase|ask|get|visit|demo|organi[sz]e|introduce|renew|sign|open)\b"
)
_CLAUSE_SPLIT = re.compile(
    r"\s*(?:;|,|(?<!\breminder)(?<!\btodo)(?<!\bto-do)\s-\s|\s–\s|\s+(?=\d{1,2}[.)]\s))\s*(?:(?P<conn>and then|and also|and afterwards|then|and|also|plus|but|afterwards)\b\s*)?"
    r"|\s+(?P<conn2>and then|then|and also|and afterwards)\s+"
    rf"|\s+(?P<conn3>and|\+|&)\s+(?={_ACTION_VERB})",
    _I,
)


# "Prepare the NDA and send it to Kofi": sending what the previous clause prepares is the same task.
_CONTINUES = re.compile(
    r"^\W*(?:and\s+)?(?:then\s+)?(?:send|share|forward|email|e-mail|circulate|mail)\s+(?:it|them|this|that|both|all|these|those)(?:\s+(?:over|out|across))?"
    r"(?:\s+(?:to|with|by|before|on|tomorrow|today|tonight|asap|next|this|first)\b|\s*[.!]?\s*$)"
    r"|^\W*(?:and\s+)?(?:then\s+)?(?:share|circulate|send|forward|email|e-mail|mail)\s+(?:over\s+)?(?:with|to)\b"
    # "Draft the SOW and get it to legal", "Review their redlines and send comments": the same task.
    r"|^\W*(?:and\s+)?(?:then\s+)?(?:get|pass|hand)\s+(?:it|them)\s+(?:over\s+)?to\b"
    r"|^\W*(?:and\s+)?(?:then\s+)?(?:send|share|give)\s+(?:(?:our|my|your|any)\s+)?(?:comments|feedback|input)\b",
    _I,
)
# "need the deck ready by 30 May": collateral to be made ready is a task, not a request to send it
_PRODUCTION = re.compile(
    r"\b(?:ready|done|finished|prepared|finali[sz]ed|polished|in place|written up)\b", _I
)
_PREPARATION = re.compile(r"prepare|prep|draft|put together|compile|write", _I)
_SCHEDULING = re.compile(r"book|schedule|arrange|set up|plan|organi[sz]e", _I)
_OTHER_SUBJECT = re.compile(
    r"^\W*(?:they|he|she|the customer|the client|customer|client|their \w+)(?:\s+(?:will|would|might|may|can|could)|['’](?:ll|d))?\s+(?!need\b)",
    _I,
)
_REMEDY = re.compile(r"fix|reissue|redo|correct|look into|investigate|sort out|refund|replace", _I)
# "call Ahmed re PO", "- book onsite for wk of 25th": a clause opening with an action verb is a plan.
_IMPERATIVE_ACTION = re.compile(
    r"^[\s\-*•·>:.)(\d\"'“”+]*(?:(?:pls|please|plz|kindly)\s+)?(?:call|ring|phone|dial|book|schedule|set up|arrange)\b",
    _I,
)
# "Let me introduce you to John." (Dynamics 365's own example): a person introduced by name.
_INTRODUCTION = re.compile(
    r"\b(?:let me introduce(?: you to)?|(?:i'?d|i would) like to introduce(?: you to)?|introducing|please meet|say hello to)\s+"
    r"(?P<name>(?:(?:Mr|Mrs|Ms|Dr)\.?\s+)?[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?)",
    _I,
)


# The slowest case-insensitive word lists, behind a test for the words every match must hold (most
# clauses hold none of them; the answers are the patterns' own, see base.required_words).
_PAST_FAST = prefiltered(_PAST)
_NEGATION_FAST = prefiltered(_NEGATION)
_HEDGE_FAST = prefiltered(_HEDGE)
_CONTENT_FAST = prefiltered(_CONTENT)
_ISSUE_FAST = prefiltered(_ISSUE)
_RISK_FAST = prefiltered(_RISK)
_NOT_OUR_INFINITIVE_FAST = prefiltered(_NOT_OUR_INFINITIVE)
_REPORTED_FAST = prefiltered(_REPORTED)
_REQUEST_FAST = prefiltered(_REQUEST)
_CONTACT_CUE_FAST = prefiltered(_CONTACT_CUE)
_PART_FAST = prefiltered(_PART)
_TRIGGER_PATTERNS = tuple(prefiltered(spec.pattern) for spec in _TRIGGERS)


class English:
    """English notes: see the module docstring of :mod:`rapport.ml.notes.timeexpr` for date conventions."""

    code = "en"

    def detect(self, text: str) -> float:
        han, latin = script_counts(text)
        han_words = han / 1.7
        total = han_words + latin
        return latin / total if total else 0.0

    def clauses(self, sentence: str) -> list[tuple[int, int, bool]]:
        out: list[tuple[int, int, bool]] = []
        start, connector = 0, False
        for match in _CLAUSE_SPLIT.finditer(sentence):
            if match.start() > start:
                out.append((start, match.start(), connector))
            start = match.end()
            connector = bool(match.group("conn") or match.group("conn2") or match.group("conn3"))
        if start < len(sentence):
            out.append((start, len(sentence), connector))
        return out

    def is_connector(self, gap: str) -> bool:
        return _CONNECTOR.fullmatch(gap) is not None

    def is_superseded(self, clause: str, start: int, end: int, later_starts: list[int]) -> bool:
        if not _FROM_BEFORE.search(clause[:start]):
            return False
        return any(_TO_BEFORE.search(clause[:later]) for later in later_starts if later > end)

    def time_atoms(self, clause: str) -> list[TimeAtom]:
        if _MAY_HAVE_TIME.search(clause) is None:
            return []
        atoms = _day_atoms(clause)
        atoms += _weekday_atoms(clause)
        atoms += _date_atoms(clause)
        atoms += _ordinal_atoms(clause)
        atoms += _week_atoms(clause)
        atoms += _month_atoms(clause)
        atoms += _offset_atoms(clause)
        taken: list[tuple[int, int]] = [(a.start, a.end) for a in atoms if a.kind in ("abs_date", "offset")]
        atoms += _clock_atoms(clause, taken)
        clock_spans = [(a.start, a.end) for a in atoms if a.kind == "clock"]
        atoms += _at_hour_atoms(clause, clock_spans)
        atoms += _half_atoms(clause)
        atoms += _part_atoms(clause)
        return atoms

    def triggers(self, clause: str, masked: str) -> list[Trigger]:
        found: list[Trigger] = []
        for spec, pattern in zip(_TRIGGERS, _TRIGGER_PATTERNS, strict=True):
            for m in pattern.finditer(masked):
                if spec.imperative and not self._imperative(masked, m.start()):
                    continue
                if spec.type != TASK and _EVENT_REFERENCE.search(clause[: m.start()]):
                    continue
                strength = spec.strength
                if spec.type == TASK and m.group(0).lower() in _WEAK_VERBS:
                    strength = WEAK
                found.append(Trigger(m.start(), m.end(), spec.type, strength, spec.default_time))
        return found

    def _imperative(self, masked: str, start: int) -> bool:
        before = masked[:start]
        if _THIRD_PARTY_BEFORE.search(before):
            return False
        if _INFINITIVE_BEFORE.search(before):
            return (
                _OUR_INFINITIVE.search(before) is not None or _NOT_OUR_INFINITIVE_FAST.search(before) is None
            )
        # "Webinar invite: send to …": a short heading before a colon does not hide the imperative
        return _IMPERATIVE_PREFIX.match(_HEADING.sub("", before, count=1)) is not None

    def cues(self, clause: str) -> Cues:
        rebook = _REBOOK.search(clause) is not None and _REBOOK_NEGATED.search(clause) is None
        question = _EMBEDDED_QUESTION.search(clause)
        past = _PAST_FAST.search(clause[: question.start("q")] if question else clause) is not None
        return Cues(
            past=past,
            # "call Ahmed re PO", "- book onsite": an action in the imperative is a plan
            future=(
                _FUTURE.search(clause) is not None
                or rebook
                or (not past and _IMPERATIVE_ACTION.match(clause) is not None)
            ),
            negated=(
                (_NEGATION_FAST.search(clause) is not None and not rebook)
                or _HEDGE_FAST.search(clause) is not None
                or _REPORTED_FAST.search(clause) is not None
            ),
            rebook=rebook,
        )

    def content_items(self, clause: str) -> list[tuple[int, int]]:
        return [m.span() for m in _CONTENT_FAST.finditer(clause)]

    def has_delivery(self, clause: str) -> bool:
        return any(self._imperative(clause, m.start()) for m in _DELIVERY.finditer(clause))

    def has_request(self, clause: str) -> bool:
        return _REQUEST_FAST.search(clause) is not None

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
        m = _ISSUE_FAST.search(clause) or _RISK_FAST.search(clause)
        if m is None or _ISSUE_NEGATION.search(clause) or _NOT_CUSTOMER_ISSUE.search(clause):
            return None
        return m.span()

    def attendees(self, clause: str) -> list[str]:
        names = []
        for m in _ATTENDEE.finditer(clause):
            name = m.group("name").rstrip(".")
            if name.split()[0].lower() not in _NAME_STOP and _WEEKDAY_RE.fullmatch(name) is None:
                names.append(name)
        return names

    def contact_name(self, sentence: str, anchor: int) -> tuple[int, int] | None:
        best = None
        for m in _NAME.finditer(sentence[:anchor]):
            words = [w.lower().rstrip(".") for w in m.group(0).split()]
            if any(w in _NAME_STOP for w in words) or _TITLE.fullmatch(m.group(0)):
                # drop a leading stop word ("Spoke Rafael" cannot happen: names need two capitals)
                continue
            best = m.span()
        return best

    def job_title(self, sentence: str) -> tuple[int, int] | None:
        m = _TITLE.search(sentence)
        return m.span() if m else None

    def continues_previous(self, clause: str) -> bool:
        return _CONTINUES.search(clause) is not None

    def is_production(self, clause: str) -> bool:
        return _PRODUCTION.search(clause) is not None and _DELIVERY.search(clause) is None

    def is_preparation(self, word: str) -> bool:
        return _PREPARATION.fullmatch(word) is not None

    def schedules(self, word: str) -> bool:
        return _SCHEDULING.fullmatch(word) is not None

    def subject_is_other(self, clause: str) -> bool:
        return _OTHER_SUBJECT.match(clause) is not None

    def is_remedy(self, word: str) -> bool:
        return _REMEDY.fullmatch(word) is not None

    def introductions(self, sentence: str) -> list[tuple[int, int]]:
        return [m.span("name") for m in _INTRODUCTION.finditer(sentence) if m.group("name")[0].isupper()]

    def has_contact_cue(self, sentence: str) -> bool:
        return _CONTACT_CUE_FAST.search(sentence) is not None


def _number(text: str) -> float:
    text = text.lower().strip()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    try:
        return float(text)
    except ValueError:
        return 1.0


def _clock_number(text: str) -> int | None:
    text = text.lower()
    if text.isdigit():
        return int(text)
    return _CLOCK_WORDS.get(text)


def _meridiem(text: str | None) -> str:
    if not text:
        return ""
    return "pm" if text.lower().startswith("p") else "am"


# --- time atoms, one reader per kind (EnglishAnalyzer.time_atoms runs them in this order) ---
def _day_atoms(clause: str) -> list[TimeAtom]:
    """today, tonight, tomorrow, yesterday, the day after tomorrow."""
    atoms: list[TimeAtom] = []
    for m in _TODAYISH.finditer(clause):
        if clause[m.end() : m.end() + 2] in ("'s", "’s"):
            continue  # "yesterday's webinar" names a thing, not a time
        word = m.group("w").lower()
        days = (
            0
            if word in ("today", "tonight")
            else -1
            if word in ("yesterday", "yday", "yest")
            else 2
            if word.startswith("day after")
            else 1
        )
        atoms.append(TimeAtom(m.start(), m.end(), "rel_day", (days,)))
        if word == "tonight":
            atoms.append(TimeAtom(m.end(), m.end(), "part", ("evening", True)))
    return atoms


def _weekday_atoms(clause: str) -> list[TimeAtom]:
    """weekday names with next/this/last."""
    atoms: list[TimeAtom] = []
    for m in _WEEKDAY_RE.finditer(clause):
        mod = (m.group("mod") or "").lower()
        modifier = {"next": "next", "this": "this", "last": "last", "past": "last"}.get(mod, "")
        atoms.append(
            TimeAtom(m.start(), m.end(), "weekday", (_WEEKDAYS[m.group("day")[:3].lower()], modifier))
        )
    return atoms


def _date_atoms(clause: str) -> list[TimeAtom]:
    """absolute dates: "March 3", "3 March", ISO and slashed."""
    atoms: list[TimeAtom] = []
    for regex in (_ABS_MD, _ABS_DM, _ISO, _SLASH):
        for m in regex.finditer(clause):
            month_text = m.group("month")
            month = int(month_text) if month_text.isdigit() else _MONTHS[month_text[:3].lower()]
            day = int(m.group("day"))
            year = m.group("year")
            if year and len(year) == 2:
                year = "20" + year
            if 1 <= month <= 12 and 1 <= day <= 31:
                atoms.append(
                    TimeAtom(m.start(), m.end(), "abs_date", (int(year) if year else None, month, day))
                )
    return atoms


def _ordinal_atoms(clause: str) -> list[TimeAtom]:
    """a day of the month: "the 3rd"."""
    atoms: list[TimeAtom] = []
    for m in _ORDINAL.finditer(clause):
        if 1 <= int(m.group("day")) <= 31:
            atoms.append(TimeAtom(m.start(), m.end(), "day_of_month", (int(m.group("day")),)))
    return atoms


def _week_atoms(clause: str) -> list[TimeAtom]:
    """this/next/last week, the weekend, end of the week."""
    atoms: list[TimeAtom] = []
    for m in _WEEK.finditer(clause):
        text = m.group(0).lower()
        offset = 1 if "next" in text or "following" in text else -1 if "last" in text else 0
        if m.group("end") or text.startswith("eow") or "by the weekend" in text:
            sub = "end"
        elif "weekend" in text:
            sub = "weekend"
        else:
            sub = ""
        if m.group("early"):
            atoms.append(TimeAtom(m.start(), m.end(), "weekday", (0, "next" if offset == 1 else "this")))
        else:
            atoms.append(TimeAtom(m.start(), m.end(), "week", (offset, sub)))
    return atoms


def _month_atoms(clause: str) -> list[TimeAtom]:
    """this/next/last month, a named month, its start/middle/end."""
    atoms: list[TimeAtom] = []
    for m in _MONTH_REL.finditer(clause):
        text = m.group(0).lower()
        offset = 1 if "next" in text else -1 if "last" in text else 0
        pos = (m.group("end") or "").lower()
        sub = {"end": "end", "beginning": "start", "start": "start", "middle": "mid", "mid": "mid"}.get(
            pos, ""
        )
        if text.startswith("eom"):
            sub = "end"
        name = m.group("name")
        atoms.append(
            TimeAtom(m.start(), m.end(), "month", (offset, _MONTHS[name[:3].lower()] if name else None, sub))
        )
    return atoms


def _offset_atoms(clause: str) -> list[TimeAtom]:
    """in 3 days, 2 weeks ago, within an hour, a week from tomorrow."""
    atoms: list[TimeAtom] = []
    for m in _OFFSET.finditer(clause):
        if m.group("n3"):
            atoms.append(
                TimeAtom(
                    m.start(),
                    m.end(),
                    "offset",
                    (7 + (1 if m.group("base").lower() == "tomorrow" else 0), "days", False),
                )
            )
            continue
        number = m.group("n1") or m.group("n2")
        unit = (m.group("u1") or m.group("u2")).lower()
        amount = _number(number)
        unit_name = (
            "minutes"
            if unit.startswith("min")
            else "hours"
            if unit.startswith("h")
            else "days"
            if unit.startswith("d")
            else "weeks"
            if unit.startswith("w")
            else "months"
        )
        direction = (m.group("dir") or "").lower()
        if direction in ("ago", "back"):
            amount = -amount
        within = (m.group("within") or "").lower() == "within"
        atoms.append(TimeAtom(m.start(), m.end(), "offset", (amount, unit_name, within)))
    return atoms


def _clock_atoms(clause: str, taken: list[tuple[int, int]]) -> list[TimeAtom]:
    """clock times with minutes or a meridiem ("10:30", "3pm", "2-4pm") outside dates and offsets."""
    atoms: list[TimeAtom] = []
    for m in _CLOCK.finditer(clause):
        if overlapping(taken, m.start(), m.end()):
            continue
        has_minutes = m.group("m") or m.group("m2")
        if not (has_minutes or m.group("mer") or (m.group("h2") and m.group("mer2"))):
            continue
        hour = int(m.group("h"))
        if hour > 24:
            continue
        minute = int(has_minutes or 0)
        end_hour = int(m.group("h2")) if m.group("h2") else -1
        end_minute = int(m.group("n2") or 0)
        mer2 = _meridiem(m.group("mer2"))
        mer = _meridiem(m.group("mer")) or (mer2 if end_hour >= 0 and end_hour >= hour else "")
        atoms.append(TimeAtom(m.start(), m.end(), "clock", (hour, minute, mer, end_hour, end_minute, mer2)))
    return atoms


def _at_hour_atoms(clause: str, clock_spans: list[tuple[int, int]]) -> list[TimeAtom]:
    """ "at 10" where no clock time was read."""
    atoms: list[TimeAtom] = []
    for m in _AT_HOUR.finditer(clause):
        if overlapping(clock_spans, m.start("h"), m.end("h")):
            continue
        at_hour = _clock_number(m.group("h"))
        if at_hour is not None and at_hour <= 24:
            atoms.append(TimeAtom(m.start(), m.end(), "clock", (at_hour, 0, "", -1, 0, "")))
    return atoms


def _half_atoms(clause: str) -> list[TimeAtom]:
    """half past / quarter to."""
    atoms: list[TimeAtom] = []
    for m in _HALF.finditer(clause):
        half_hour = _clock_number(m.group("h"))
        if half_hour is None:
            continue
        hour = half_hour
        minute = 30 if m.group("q").lower() == "half" else 15
        if m.group("rel").lower() == "to":
            hour, minute = hour - 1, 60 - minute
        atoms.append(TimeAtom(m.start(), m.end(), "clock", (hour, minute, "", -1, 0, "")))
    return atoms


def _part_atoms(clause: str) -> list[TimeAtom]:
    """parts of the day: this morning, tomorrow evening, by end of day."""
    atoms: list[TimeAtom] = []
    for m in _PART_FAST.finditer(clause):
        word = m.group("part").lower()
        part = _PARTS.get(word, "eod")
        prefix = (m.group("this") or "").strip().lower()
        is_today = prefix == "this" or word == "tonight"
        if prefix == "tomorrow":
            atoms.append(TimeAtom(m.start(), m.start("part"), "rel_day", (1,)))
            atoms.append(TimeAtom(m.start("part"), m.end(), "part", (part, False)))
        else:
            atoms.append(TimeAtom(m.start(), m.end(), "part", (part, is_today)))
    return atoms
