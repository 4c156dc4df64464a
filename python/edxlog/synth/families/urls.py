"""Implicit server events: every request the LMS (or Studio) served, logged with the URL path
as ``event_type`` and ``{"POST": {...}, "GET": {...}}`` as a JSON *string* in ``event``, cut at
512 characters by the server."""

from __future__ import annotations

import json

from ..event import Event
from ..vocabulary import LONG_TEXT, MOBILE_AGENTS, SPEEDS, hex_id

_SITE_PATHS = ["/", "/dashboard", "/login", "/register", "/jsi18n/", "/i18n.js", "/logout", "/courses",
               "/user_api/v1/account/registration/"]
_COURSE_PAGES = ["info", "progress", "about", "courseware", "discussion/forum", "course_wiki", "instructor"]


def request_payload(post=None, get=None) -> str:
    """The event text of an implicit event: the request's POST and GET, cut at 512 characters."""
    return json.dumps({"POST": post or {}, "GET": get or {}})[:512]


def _request(path, post=None, get=None, **kw) -> Event:
    return Event("server", path, request_payload(post, get), None, path, verbatim=True, **kw)


def xblock_handler(member, kind, course, user, flags):
    """A courseware XBlock's AJAX handler: problem checks (their POST holds the answers), sequence
    positions, video state saves, problem fetches. Kind url_xblock: all of them (a problem check
    in 45 %); url_xblock_problem: problem checks only; url_xblock_state: the others only."""
    rng = member.rng
    long = "long_post" in flags or rng.random() < member.rates["long_post"]
    if kind == "url_xblock_problem" or long:
        return _problem_check_request(member, course, flags, long)
    r = rng.random()
    if kind == "url_xblock":
        if r < 0.45:
            return _problem_check_request(member, course, flags, False)
        r = (r - 0.45) / 0.55
    if r < 0.36:
        chap, seqs = rng.choice(course.chapters)
        path = course.handler_url("sequential", rng.choice(seqs), "goto_position", member.day)
        return _request(path, {"position": [str(rng.randint(1, 9))]})
    if r < 0.73:
        vid, _ = rng.choice(course.videos)
        path = course.handler_url("video", vid, "save_user_state", member.day)
        post = rng.choice([{"saved_video_position": ["00:%02d:%02d" % (rng.randrange(60), rng.randrange(60))]},
                           {"youtube_is_available": ["true"]}, {"speed": [rng.choice(SPEEDS)]}])
        return _request(path, post)
    p = rng.choice(course.problems)
    return _request(course.handler_url("problem", p.hex, rng.choice(["problem_get", "problem_show", "problem_reset"]),
                                       member.day))


def _problem_check_request(member, course, flags, long):
    p = member.rng.choice(course.problems)
    post = {}
    for key, v in member.answers(p, flags, long).items():
        if isinstance(v, list):
            post["input_%s[]" % key] = v
        else:
            post["input_" + key] = [v]
    if long:
        flags.add("long_post")
    return _request(course.handler_url("problem", p.hex, "problem_check", member.day), post)


def _came_from(member, course):
    """The referer of a page request: the course home (40 %), nothing (20 %: typed, bookmarked,
    from outside), else None (the envelope's default, another courseware page)."""
    r = member.rng.random()
    if r < 0.4:
        return member.page_url(course, "/courses/%s/course/" % course.id)
    return "" if r < 0.6 else None


def courseware(member, kind, course, user, flags):
    path = member.courseware_path(course)
    if member.rng.random() < 0.3:
        path += str(member.rng.randint(1, 6))
    return _request(path, referer=_came_from(member, course))


def site_or_course_page(member, kind, course, user, flags):
    rng = member.rng
    get = {}
    if rng.random() < 0.4:
        path = rng.choice(_SITE_PATHS)
        if path == "/courses" and rng.random() < 0.5:
            get = {"search_query": [rng.choice(["python", "\u6570\u636e", "energ\u00eda"])]}
        return _request(path, get=get, no_course=True)
    path = "/courses/%s/%s" % (course.id, rng.choice(_COURSE_PAGES))
    if path.endswith("forum"):
        get = {"ajax": ["1"], "page": [str(rng.randint(1, 5))], "sort_key": ["date"]}
    return _request(path, get=get)


def studio(member, kind, course, user, flags):
    rng = member.rng
    if course.new:
        path = rng.choice(["/course/%s" % course.id, "/assets/%s/" % course.id,
                           "/xblock/%s" % course.block("html", hex_id(rng)),
                           "/settings/details/%s" % course.id])
    else:
        path = "/preview/xblock/i4x:;_;_%s;_%s;_video;_%s/handler/xmodule_handler/save_user_state" % (
            course.org, course.num, rng.choice(course.videos)[0])
    post = {}
    if "long_post" in flags or rng.random() < 0.3:     # a save with the component's content
        body = "".join(rng.choice(LONG_TEXT) for _ in range(rng.randint(1, 12)))
        post = {"data": ["<p>%s</p>" % body], "metadata": ["{\"display_name\": \"Text\"}"]}
    return _request(path, post, studio=True, no_course=True)


def transcript(member, kind, course, user, flags):
    """The video player fetching its transcript (2016+): a GET with the video's YouTube id."""
    rng = member.rng
    vid, code = rng.choice(course.videos)
    handler = rng.choice(["transcript/translation/en", "transcript/available_translations"])
    path = "/courses/%s/xblock/%s/handler/%s" % (course.id, course.block("video", vid), handler)
    get = {"videoId": [code]} if handler.endswith("/en") else {}
    return _request(path, get=get)


def rest_api(member, kind, course, user, flags):
    """The 2016+ REST APIs the course pages and the mobile apps call. Outside /courses/, so the
    request's context has no course even when the query names one."""
    rng = member.rng
    if rng.random() < 0.5:
        return _mobile_api(member, course, user)
    r = rng.random()
    if r < 0.35:
        path = "/api/courses/v1/blocks/"
        get = {"course_id": [course.id], "username": [user.username], "depth": ["all"],
               "requested_fields": ["graded,format,student_view_multi_device,lti_url"],
               "block_counts": ["video"], "student_view_data": ["video"]}
    elif r < 0.55:
        path = "/api/bookmarks/v1/bookmarks/"
        get = {"course_id": [course.id], "fields": ["display_name,path"], "page": ["1"], "page_size": ["10"]}
    elif r < 0.7:
        path = "/api/enrollment/v1/enrollment/%s,%s" % (user.username, course.id)
        get = {}
    elif r < 0.85:
        path = "/api/user/v1/accounts/%s" % user.username
        get = {}
    else:
        path = "/api/course_structure/v0/courses/%s/" % course.id
        get = {}
    return _request(path, get=get, course_in_context=False)


def _mobile_api(member, course, user):
    """A call of the mobile apps: their own short agent, no referer."""
    rng = member.rng
    path = rng.choice(["/api/mobile/v0.5/users/%s/course_enrollments/" % user.username,
                       "/api/mobile/v0.5/video_outlines/courses/%s" % course.id,
                       "/api/courses/v1/blocks/", "/oauth2/access_token/", "/api/user/v1/me",
                       "/api/mobile/v0.5/my_user_info"])
    get = {"course_id": [course.id], "depth": ["all"]} if path == "/api/courses/v1/blocks/" else {}
    return _request(path, get=get, course_in_context=False, referer="", agent=MOBILE_AGENTS[user.agent_i % 2])


def dashboard_course_page(member, kind, course, user, flags):
    """Course pages of the 2016+ LMS: the course home, updates, progress, discussions, bookmarks."""
    rng = member.rng
    r = rng.random()
    get = {}
    if r < 0.3:
        path = "/courses/%s/course/" % course.id
    elif r < 0.45:
        path = "/courses/%s/progress" % course.id
    elif r < 0.6:
        path = "/courses/%s/discussion/forum/" % course.id
        if rng.random() < 0.6:
            get = {"ajax": ["1"], "page": [str(rng.randint(1, 5))], "sort_key": ["activity"],
                   "sort_order": ["desc"]}
    elif r < 0.75:
        path = "/courses/%s/discussion/forum/%s/threads/%s" % (course.id, hex_id(rng), hex_id(rng, 24))
        get = {"ajax": ["1"], "resp_skip": ["0"], "resp_limit": ["25"]}
    elif r < 0.85:
        path = "/courses/%s/bookmarks/" % course.id
    else:
        path = "/courses/%s/info" % course.id
    return _request(path, get=get, referer=_came_from(member, course))


def site_page(member, kind, course, user, flags):
    """Pages and calls outside any course (2016+): the dashboard, login, account settings,
    course discovery; many come without a referer (typed, bookmarked, or from outside)."""
    rng = member.rng
    path = rng.choice(["/", "/", "/dashboard", "/dashboard", "/login", "/login_ajax", "/logout", "/register",
                       "/courses", "/account/settings", "/u/%s" % user.username, "/jsi18n/",
                       "/search/course_discovery/", "/user_api/v1/preferences/time_zone",
                       "/notifications/count/", "/api/experiments/v0/data/", "/create_account"])
    post = {}
    if path in ("/login_ajax", "/create_account"):
        post = {"email": ["%s@example.com" % user.username.encode("ascii", "replace").decode()],
                "remember": ["true"]}
    elif path == "/search/course_discovery/":
        post = {"search_string": [rng.choice(["python", "data science", "\u6570\u636e", "energ\u00eda"])],
                "page_size": ["20"], "page_index": ["0"]}
    referer = "" if rng.random() < 0.5 else "https://%s/dashboard" % member.lms
    return _request(path, post, no_course=True, referer=referer)


BUILDERS = {"url_xblock": xblock_handler, "url_xblock_problem": xblock_handler,
            "url_xblock_state": xblock_handler, "url_site": site_page, "url_courseware": courseware,
            "url_misc": site_or_course_page,
            "url_studio": studio, "url_transcript": transcript, "url_api": rest_api,
            "url_course_page": dashboard_course_page}
