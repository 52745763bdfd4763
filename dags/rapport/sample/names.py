"""Vocabularies for people, companies and places (English and Chinese).

Plain data, no logic: the generator draws from these lists with numpy. Chinese names carry their
pinyin so that e-mail addresses can be built (``wang.wei@...``).
"""

from __future__ import annotations

INTERNAL_DOMAIN = "contoso.com"

FIRST_NAMES_EN = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth",
    "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
    "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
    "Kenneth", "Dorothy", "Kevin", "Carol", "Brian", "Amanda", "George", "Melissa", "Timothy", "Deborah",
    "Ronald", "Stephanie", "Edward", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
    "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen",
    "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra", "Frank", "Rachel",
    "Patrick", "Carolyn", "Raymond", "Janet", "Jack", "Catherine", "Dennis", "Maria", "Jerry", "Heather",
    "Tyler", "Diane", "Aaron", "Ruth", "Jose", "Julie", "Adam", "Olivia", "Nathan", "Joyce",
    "Henry", "Virginia", "Douglas", "Victoria", "Zachary", "Kelly", "Peter", "Lauren", "Kyle", "Christina",
    "Priya", "Arjun", "Sofia", "Lucas", "Mateo", "Isabella", "Hiroshi", "Yuki", "Lars", "Ingrid",
    "Pierre", "Camille", "Hans", "Greta", "Ahmed", "Fatima", "Olumide", "Chiara", "Diego", "Elena",
)

LAST_NAMES_EN = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "Schmidt", "Muller", "Dubois", "Rossi", "Jensen", "Nielsen", "Tanaka", "Suzuki", "Okafor", "Novak",
    "Kowalski", "Larsen", "Fischer", "Weber", "Silva", "Santos", "Kaur", "Singh", "Sato", "Berg",
)

# (hanzi, pinyin)
SURNAMES_ZH = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"),
    ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("袁", "yuan"), ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"),
    ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"),
)

GIVEN_NAMES_ZH = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀兰", "xiulan"), ("霞", "xia"), ("平", "ping"),
    ("刚", "gang"), ("桂英", "guiying"), ("建华", "jianhua"), ("建国", "jianguo"), ("志强", "zhiqiang"),
    ("晓明", "xiaoming"), ("海燕", "haiyan"), ("婷", "ting"), ("雪", "xue"), ("斌", "bin"), ("宇", "yu"),
    ("浩", "hao"), ("凯", "kai"), ("鹏", "peng"), ("欣怡", "xinyi"), ("子涵", "zihan"), ("梓萱", "zixuan"),
    ("一鸣", "yiming"), ("思远", "siyuan"), ("佳琪", "jiaqi"), ("俊杰", "junjie"), ("文博", "wenbo"),
    ("嘉怡", "jiayi"), ("雨桐", "yutong"), ("天佑", "tianyou"), ("昊然", "haoran"), ("诗涵", "shihan"),
    ("立新", "lixin"), ("国栋", "guodong"), ("春梅", "chunmei"), ("丹", "dan"), ("琳", "lin"), ("颖", "ying"),
    ("晨", "chen"), ("航", "hang"), ("睿", "rui"), ("博", "bo"), ("欣", "xin"), ("蕾", "lei"), ("毅", "yi"),
)

COMPANY_PREFIX_EN = (
    "Northwind", "Fabrikam", "Adventure", "Tailspin", "Wingtip", "Litware", "Proseware", "Lucerne", "Margie's",
    "Alpine", "Blue Yonder", "Coho", "Consolidated", "Fourth Coffee", "Graphic", "Humongous", "Trey", "Wide World",
    "Woodgrove", "Southridge", "Relecloud", "Bellows", "Datum", "Contour", "Lamna", "Munson's", "Nod", "VanArsdel",
    "Bluefin", "Redwood", "Silverline", "Granite", "Summit", "Harbor", "Maple", "Cedar", "Pioneer", "Beacon",
    "Keystone", "Vertex", "Horizon", "Evergreen", "Ironwood", "Lakeside", "Meridian", "Northstar", "Oakridge",
    "Pinnacle", "Quantum", "Riverbend", "Sterling", "Trident", "Union", "Vantage", "Westfield", "Zenith",
    "Apex", "Brightwater", "Crescent", "Driftwood", "Eastgate", "Foxglove", "Goldcrest", "Highland", "Juniper",
    "Kestrel", "Lighthouse", "Millbrook", "Newhaven", "Orchard", "Paragon", "Ridgeline", "Stonebridge", "Tamarack",
)
COMPANY_SUFFIX_EN = (
    "Traders", "Systems", "Works", "Holdings", "Industries", "Logistics", "Health", "Foods", "Insurance",
    "Partners", "Group", "Labs", "Manufacturing", "Capital", "Energy", "Consulting", "Retail", "Motors",
    "Analytics", "Bank", "Media", "Airlines", "Pharma", "Supply", "Networks", "Design", "Realty", "Legal",
)
COMPANY_TYPE_EN = ("Inc.", "Ltd.", "LLC", "Corp.", "GmbH", "plc", "S.A.", "AG", "", "", "")

# (hanzi, pinyin) for Chinese company names: <place><brand><industry>有限公司
COMPANY_PLACE_ZH = (
    ("北京", "beijing"), ("上海", "shanghai"), ("深圳", "shenzhen"), ("广州", "guangzhou"), ("杭州", "hangzhou"),
    ("南京", "nanjing"), ("成都", "chengdu"), ("苏州", "suzhou"), ("武汉", "wuhan"), ("天津", "tianjin"),
    ("重庆", "chongqing"), ("西安", "xian"), ("厦门", "xiamen"), ("青岛", "qingdao"), ("台北", "taipei"),
)
COMPANY_BRAND_ZH = (
    ("华信", "huaxin"), ("恒达", "hengda"), ("瑞丰", "ruifeng"), ("中科", "zhongke"), ("新世纪", "xinshiji"),
    ("宏远", "hongyuan"), ("金桥", "jinqiao"), ("东方", "dongfang"), ("天宇", "tianyu"), ("博雅", "boya"),
    ("长城", "changcheng"), ("海纳", "haina"), ("启明", "qiming"), ("锦程", "jincheng"), ("盛达", "shengda"),
    ("国泰", "guotai"), ("智联", "zhilian"), ("云帆", "yunfan"), ("光华", "guanghua"), ("鼎盛", "dingsheng"),
    ("汇通", "huitong"), ("永安", "yongan"), ("嘉禾", "jiahe"), ("星辰", "xingchen"), ("蓝海", "lanhai"),
)
COMPANY_INDUSTRY_ZH = (
    ("科技", "tech"), ("贸易", "trade"), ("物流", "logistics"), ("医疗", "health"), ("食品", "foods"),
    ("保险", "insurance"), ("制造", "mfg"), ("能源", "energy"), ("咨询", "consulting"), ("零售", "retail"),
    ("传媒", "media"), ("金融", "finance"), ("软件", "soft"), ("电子", "elec"),
)

TLDS_BY_REGION = {
    "na": (".com", ".com", ".com", ".net", ".us"),
    "emea": (".com", ".co.uk", ".de", ".fr", ".eu", ".nl"),
    "apac": (".com", ".com.au", ".co.jp", ".sg", ".in"),
    "china": (".cn", ".com.cn", ".com", ".cn"),
}

FREE_MAIL_DOMAINS_EN = ("gmail.com", "outlook.com", "hotmail.com", "yahoo.com")
FREE_MAIL_DOMAINS_ZH = ("qq.com", "163.com", "126.com", "gmail.com")

IMPLAUSIBLE_NAMES = (
    ("test", "test"), ("asdf", "asdf"), ("aaa", "bbb"), ("x", "x"), ("qwerty", "qwerty"), ("none", "none"),
    ("john", "doe"), ("mickey", "mouse"), ("test", "user"), ("na", "na"), ("1234", "5678"), ("测试", "测试"),
)

# Sales teams: (business unit name, region, countries, share of Chinese-writing sellers)
TEAMS = (
    ("North America East", "na", ("United States", "Canada"), 0.0),
    ("Greater China", "china", ("China", "China", "Taiwan", "Hong Kong SAR"), 1.0),
    ("EMEA North", "emea", ("United Kingdom", "Germany", "Netherlands", "Sweden", "Denmark"), 0.0),
    ("North America West", "na", ("United States", "United States", "Canada"), 0.0),
    ("APAC", "apac", ("Australia", "Japan", "Singapore", "India", "Singapore"), 0.15),
    ("EMEA South", "emea", ("France", "Spain", "Italy", "Portugal", "Switzerland"), 0.0),
    ("Latin America", "na", ("Brazil", "Mexico", "Chile", "Colombia"), 0.0),
    ("Central Europe", "emea", ("Germany", "Austria", "Poland", "Czechia"), 0.0),
)

SELLER_TITLES = ("Account Executive", "Account Manager", "Sales Representative", "Senior Account Executive")

# (title, seniority 0 = staff ... 3 = executive, is decision maker)
CONTACT_TITLES_EN = (
    ("Chief Executive Officer", 3, True), ("Chief Financial Officer", 3, True), ("Chief Information Officer", 3, True),
    ("Chief Operating Officer", 3, True), ("VP of Sales", 2, True), ("VP of Operations", 2, True),
    ("VP of Engineering", 2, True), ("Head of Procurement", 2, True), ("IT Director", 2, False),
    ("Finance Director", 2, False), ("Marketing Director", 2, False), ("Operations Manager", 1, False),
    ("Procurement Manager", 1, False), ("IT Manager", 1, False), ("Project Manager", 1, False),
    ("Product Manager", 1, False), ("Office Manager", 1, False), ("Business Analyst", 0, False),
    ("Systems Engineer", 0, False), ("Purchasing Agent", 0, False), ("Accountant", 0, False),
    ("Sales Coordinator", 0, False), ("Data Analyst", 0, False), ("Executive Assistant", 0, False),
)
CONTACT_TITLES_ZH = (
    ("总经理", 3, True), ("首席财务官", 3, True), ("首席信息官", 3, True), ("副总裁", 3, True),
    ("销售总监", 2, True), ("采购总监", 2, True), ("IT总监", 2, False), ("财务总监", 2, False),
    ("市场总监", 2, False), ("运营经理", 1, False), ("采购经理", 1, False), ("IT经理", 1, False),
    ("项目经理", 1, False), ("产品经理", 1, False), ("行政经理", 1, False), ("业务分析师", 0, False),
    ("系统工程师", 0, False), ("采购专员", 0, False), ("会计", 0, False), ("销售助理", 0, False),
)

PRODUCTS_EN = (
    "CRM platform", "analytics suite", "data platform", "field service app", "security bundle", "cloud migration",
    "support renewal", "ERP integration", "mobile workforce app", "customer portal", "AI assistant pilot",
    "licence expansion", "training package", "managed services", "IoT monitoring", "contact centre solution",
)
PRODUCTS_ZH = (
    "CRM平台", "数据分析套件", "数据平台", "现场服务应用", "安全套装", "云迁移", "支持续约", "ERP集成",
    "移动办公应用", "客户门户", "AI助手试点", "许可证扩容", "培训套餐", "托管服务", "物联网监控", "呼叫中心方案",
)

MEETING_LOCATIONS_EN = ("Microsoft Teams", "Customer office", "Our office", "Zoom", "Phone bridge", "Lunch meeting", "Conference room 3")
MEETING_LOCATIONS_ZH = ("Teams 会议", "客户办公室", "我方办公室", "腾讯会议", "电话会议", "午餐会", "3号会议室")

STAGE_NAMES = ("Qualify", "Develop", "Propose", "Close")
STEP_NAMES = ("1-Qualify", "2-Develop", "3-Propose", "4-Close")
