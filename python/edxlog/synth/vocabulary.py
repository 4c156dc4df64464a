"""Words the generator draws from: courses, users, answers, agents, languages, garbage lines.

Plus the small text helpers every event family uses (hex ids, YouTube ids, JSON the way the
browser's JavaScript wrote it, jQuery's form encoding)."""

from __future__ import annotations

import json
import random
from urllib.parse import quote as _quote

OLD_COURSES = [
    ("MITx", "6.00x", "2013_Spring", "Introduction to Computer Science and Programming"),
    ("HarvardX", "PH207x", "2012_Fall", "Health in Numbers"),
    ("BerkeleyX", "CS169.1x", "2013_Summer", "Software as a Service"),
    ("edX", "DemoX", "Demo_Course", "edX Demonstration Course"),
    ("TsinghuaX", "00740043X", "2014_T1", "\u7535\u8def\u539f\u7406"),
    ("MITx", "8.02x", "2013_Spring", "Electricity and Magnetism"),
]
NEW_COURSES = [
    ("MITx", "6.00.1x", "2T2017", "Introduction to Computer Science and Programming Using Python"),
    ("HarvardX", "CS50", "X", "CS50's Introduction to Computer Science"),
    ("edX", "DemoX", "Demo_Course", "Demonstration Course"),
    ("TsinghuaX", "00740043_2x", "2015_T1", "\u7535\u8def\u539f\u7406 2"),
    ("QRF", "ARB101x", "1T2016", "\u0645\u0642\u062f\u0645\u0629 \u0641\u064a \u0627\u0644\u0628\u0631\u0645\u062c\u0629"),
    ("DelftX", "TUD101x", "3T2019", "Solar Energy"),
]
# (org, number, run, title, id style, readable block names)
COURSES_2017 = [
    ("MITx", "6.00.1x", "2T2017", "Introduction to Computer Science and Programming Using Python", "new", False),
    ("HarvardX", "PH525.1x", "1T2017", "Statistics and R", "new", True),
    ("edX", "DemoX", "Demo_Course", "edX Demonstration Course", "new", True),
    ("UBCx", "Climate1x", "2T2017", "Climate Change: The Science", "new", True),
    ("DelftX", "TUD101x", "1T2017", "Solar Energy", "new", False),
    ("TsinghuaX", "30240184x", "sp", "\u6570\u636e\u7ed3\u6784", "new", True),
    ("QRF", "ARB101x", "1T2017", "\u0645\u0642\u062f\u0645\u0629", "new", False),
    ("BerkeleyX", "CS169.1x", "2013_Summer", "Software as a Service", "old", True),
    ("MITx", "8.02x", "2013_Spring", "Electricity and Magnetism", "old", True),
]
CCX = ("MITx", "6.00.1x", "2T2017", 12)

FIRST = ["anna", "ben", "carlos", "dana", "eric", "fatima", "george", "hana", "ivan", "julia",
         "kofi", "lena", "mohammed", "nina", "omar", "priya", "quentin", "rosa", "sam", "tariq",
         "uma", "victor", "wei", "xavier", "yuki", "zara", "honor", "staff", "audit", "verified"]
NON_ASCII_NAMES = ["\u674e\u660e", "\u738b\u82b3", "\u0645\u062d\u0645\u062f",
                   "\u0641\u0627\u0637\u0645\u0629", "Jos\u00e9", "Zo\u00eb", "\u0141ukasz",
                   "Ng\u1ecdc", "M\u00fcller", "\u0410\u043b\u0435\u043a\u0441\u0435\u0439",
                   "\u3086\u304d", "\u0928\u0940\u0932\u092e", "Fran\u00e7ois"]

TEXT_ANSWERS = ["photosynthesis", "x^2+1", "42", "Paris", "a & b = c", "O(n log n)",
                "mitochondria", "  spaced answer  ", "100%", "sqrt(2)/2", "TRUE", "e=mc^2"]
NON_ASCII_ANSWERS = ["\u5149\u5408\u4f5c\u7528", "\u7b54\u6848\u662f\u4e09",
                     "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
                     "\u0627\u0644\u062c\u0648\u0627\u0628 \u0661\u0662", "na\u00efve caf\u00e9",
                     "\U0001F600 I think so", "\u00bd \u00d7 \u03c0 r\u00b2",
                     "\U0001F44D\U0001F3FD yes", "\u0425\u043e\u0440\u043e\u0448\u043e"]
LONG_TEXT = ("In my opinion the main reason is that the system must balance cost and "
             "reliability; ",
             "\u6211\u8ba4\u4e3a\u8fd9\u4e2a\u95ee\u9898\u7684\u5173\u952e\u5728\u4e8e\u80fd"
             "\u91cf\u5b88\u6052\u3002",
             "\u0623\u0639\u062a\u0642\u062f \u0623\u0646 \u0627\u0644\u0625\u062c\u0627\u0628"
             "\u0629 \u0647\u064a \u0627\u0644\u0637\u0627\u0642\u0629 \u0627\u0644\u0634\u0645"
             "\u0633\u064a\u0629. ")
FORUM_TEXT = ["Can someone explain problem 3?", "\u8bf7\u95ee\u7b2c\u4e09\u9898\u600e\u4e48\u505a\uff1f",
              "\u0645\u0627 \u0647\u0648 \u0627\u0644\u062d\u0644\u061f", "Thanks! \U0001F64F",
              "Week 2 deadline extended?", "Lecture 4 video doesn't load \u2014 anyone else?"]
DISPLAY = ["Numerical Input", "Multiple Choice", "Checkboxes", "Text Input", "Dropdown",
           "Problem Set 1", "Quiz: Week 2", "Exercise 3.1", "Finger Exercise", "Homework 4"]

AGENTS = {
    2013: ["Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/28.0.1500.95 Safari/537.36",
           "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:22.0) Gecko/20100101 Firefox/22.0",
           "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_8_4) AppleWebKit/536.30.1 (KHTML, like Gecko) Version/6.0.5 Safari/536.30.1"],
    2014: ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/34.0.1847.116 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36",
           "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:29.0) Gecko/20100101 Firefox/29.0",
           "Mozilla/5.0 (Windows NT 6.3; WOW64; Trident/7.0; rv:11.0) like Gecko"],
    2015: ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/44.0.2403.125 Safari/537.36",
           "Mozilla/5.0 (Windows NT 5.1; rv:40.0) Gecko/20100101 Firefox/40.0",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/45.0.2454.93 Safari/537.36"],
    2016: ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/53.0.2785.89 Safari/537.36",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:48.0) Gecko/20100101 Firefox/48.0",
           "Mozilla/5.0 (iPhone; CPU iPhone OS 9_3_5 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13G36 Safari/601.1"],
    2017: ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/60.0.3112.113 Safari/537.36",
           "Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:54.0) Gecko/20100101 Firefox/54.0",
           "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_6) AppleWebKit/603.3.8 (KHTML, like Gecko) Version/10.1.2 Safari/603.3.8"],
    2018: ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3325.162 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_3) AppleWebKit/604.5.6 (KHTML, like Gecko) Version/11.0.3 Safari/604.5.6",
           "Mozilla/5.0 (Linux; Android 8.0.0; SM-G950F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/64.0.3282.137 Mobile Safari/537.36"],
    2020: ["Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:75.0) Gecko/20100101 Firefox/75.0",
           "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.113 Safari/537.36",
           "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15"],
}
MOBILE_AGENTS = ["Dalvik/2.1.0 (Linux; U; Android 6.0.1; SM-G920F Build/MMB29K) edX/org.edx.mobile/2.4.1",
                 "edX/org.edx.mobile (2.6.1; OS Version 10.2 (Build 14C92))"]
LANGS = ["en-US,en;q=0.8", "en-US,en;q=0.5", "zh-CN,zh;q=0.9,en;q=0.8", "ar,en-US;q=0.7,en;q=0.3",
         "es-419,es;q=0.9,en;q=0.8", "fr-FR,fr;q=0.9,en-US;q=0.6,en;q=0.4", "hi-IN,hi;q=0.9,en;q=0.7",
         "en-GB,en;q=0.9", "pt-BR,pt;q=0.9,en-US;q=0.8", ""]
SPEEDS = ["0.75", "1.0", "1.0", "1.0", "1.25", "1.50", "2.0"]
GARBAGE = [
    b"Traceback (most recent call last):",
    b'  File "/edx/app/edxapp/edx-platform/common/djangoapps/track/backends/logger.py", line 41, in send',
    b"ValueError: Circular reference detected",
    b"-- MARK --",
    b"null",
    b"[]",
    b'"tracking"',
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"#",
    b"{}{}",
]
EXTRA_KEYS = [("label", "Video Played"), ("nonInteraction", 1), ("event_version", "1.0"),
              ("augmented", {"country_code": "US"}), ("org_id", "edX")]
RESPONSE_TYPES = {
    "choice": ("choicegroup", "multiplechoiceresponse"),
    "checkbox": ("checkboxgroup", "choiceresponse"),
    "numerical": ("formulaequationinput", "numericalresponse"),
    "text": ("textline", "stringresponse"),
    "option": ("optioninput", "optionresponse"),
}
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def hex_id(rng: random.Random, n: int = 32) -> str:
    return "%0*x" % (n, rng.getrandbits(4 * n))


def youtube_id(rng: random.Random) -> str:
    return "".join(rng.choice(B64) for _ in range(11))


def compact_json(obj) -> str:
    # JavaScript JSON.stringify style (2013-14 browser payload strings)
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def form_encode(s: str) -> str:
    # jQuery .serialize(): encodeURIComponent then %20 -> "+"
    return _quote(s, safe="-_.!~*'()").replace("%20", "+")
