"""The page tests' client: `ClientRequest` signs in as a role, fetches pages by endpoint name
and checks, on every page it loads, what every page must have: valid HTML (html5lib's strict
parser), a non-empty <title>, exactly one <h1> and no duplicate ids. A test then asserts only
what its page is for. (After alphagov/notifications-admin's `client_request`.)"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import html5lib
from bs4 import BeautifulSoup
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "a long test password 1"

# Councils and providers every portal test has (conftest's `orgs`, made through the domain's commands).
COUNCIL, OTHER_COUNCIL, PROVIDER = "NFK", "SFK", "IFA1"
COUNCIL_NAME, OTHER_COUNCIL_NAME, PROVIDER_NAME = "Norfolk County Council", "Suffolk County Council", "Acme Fostering"
HOME_ORG = {"social_worker": COUNCIL, "commissioner": COUNCIL, "admin": COUNCIL, "provider": PROVIDER,
            "inspector": "inspectorate"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageProblem(AssertionError):
    pass


def check_page(html: str, url: str = "") -> BeautifulSoup:
    """Every page: valid HTML, a title, one h1, unique ids. Returns the parsed page."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line, column = parser.errors[-1][0] if parser.errors else ("?", "?")
        lines = html.splitlines()
        near = lines[line - 1].strip() if isinstance(line, int) and 0 < line <= len(lines) else ""
        raise PageProblem(f"{url}: invalid HTML at line {line}, column {column}: {error} near {near!r}") from None
    page = BeautifulSoup(html, "html.parser")
    title = page.title.get_text(" ", strip=True) if page.title else ""
    if not title or title.startswith("–"):
        raise PageProblem(f"{url}: the page has no title ({title!r})")
    h1s = page.find_all("h1")
    if len(h1s) != 1:
        raise PageProblem(f"{url}: {len(h1s)} h1 elements: {[h.get_text(strip=True) for h in h1s]}")
    duplicates = [i for i, n in Counter(el["id"] for el in page.find_all(id=True)).items() if n > 1]
    if duplicates:
        raise PageProblem(f"{url}: duplicate ids {duplicates}")
    return page


def normalise(text: str) -> str:
    return " ".join(text.split())


@dataclass
class SignedIn:
    user_id: str
    email: str
    role: str
    org_ref: str
    password: str


class ClientRequest:
    """`client_request.login("commissioner")`, then `page = client_request.get("main.home")`."""

    def __init__(self, app: Flask, make_user: Callable[..., SignedIn]):
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.make_user = make_user
        self.user: SignedIn | None = None
        self.response: TestResponse | None = None

    # -- signing in ------------------------------------------------------------------------

    def login(self, role: str, org: str | None = None, **user: Any) -> SignedIn:
        """Create a user with this role (through the domain's add_user) and sign in as them
        through the sign-in form."""
        return self.login_as(self.make_user(role, org, **user))

    def login_as(self, user: SignedIn) -> SignedIn:
        response = self.client.post("/sign-in", data={"csrf_token": self.csrf_token(), "email": user.email,
                                                      "password": user.password})
        assert response.status_code == 302, f"signing in as {user.email} failed: {response.status_code}"
        self.user = user
        return user

    def logout(self) -> None:
        self.client.post("/sign-out", data={"csrf_token": self.csrf_token()})
        self.user = None

    def csrf_token(self) -> str:
        """A CSRF token for this client's session: the sign-in page has one, and so does every
        signed-in page (the sign-out button)."""
        html = self.client.get("/sign-in", follow_redirects=True).get_data(as_text=True)
        found = CSRF.search(html)
        assert found, "no CSRF token on the sign-in or home page"
        return found.group(1)

    # -- pages -------------------------------------------------------------------------------

    def url(self, endpoint: str, **values: Any) -> str:
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def get(self, endpoint: str, _expected_status: int | None = None, _expected_redirect: str | None = None,
            _follow_redirects: bool = False, **endpoint_kwargs: Any) -> BeautifulSoup:
        return self.get_url(self.url(endpoint, **endpoint_kwargs), _expected_status=_expected_status,
                            _expected_redirect=_expected_redirect, _follow_redirects=_follow_redirects)

    def get_url(self, url: str, _expected_status: int | None = None, _expected_redirect: str | None = None,
                _follow_redirects: bool = False) -> BeautifulSoup:
        if _expected_status is None:
            _expected_status = 302 if _expected_redirect and not _follow_redirects else 200
        response = self.client.get(url, follow_redirects=_follow_redirects)
        return self._answer(url, response, _expected_status, _expected_redirect)

    def post(self, endpoint: str, _data: dict[str, Any] | None = None, _expected_status: int | None = None,
             _expected_redirect: str | None = None, _follow_redirects: bool = False, _csrf: bool = True,
             **endpoint_kwargs: Any) -> BeautifulSoup:
        return self.post_url(self.url(endpoint, **endpoint_kwargs), _data, _expected_status=_expected_status,
                             _expected_redirect=_expected_redirect, _follow_redirects=_follow_redirects,
                             _csrf=_csrf)

    def post_url(self, url: str, _data: dict[str, Any] | None = None, _expected_status: int | None = None,
                 _expected_redirect: str | None = None, _follow_redirects: bool = False,
                 _csrf: bool = True) -> BeautifulSoup:
        data = dict(_data or {})
        if _csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        if _expected_status is None:
            _expected_status = 302 if _expected_redirect and not _follow_redirects else 200
        response = self.client.post(url, data=data, follow_redirects=_follow_redirects)
        return self._answer(url, response, _expected_status, _expected_redirect)

    def _answer(self, url: str, response: TestResponse, status: int, redirect: str | None) -> BeautifulSoup:
        self.response = response
        body = response.get_data(as_text=True)
        assert response.status_code == status, (
            f"{url}: expected {status}, got {response.status_code} {response.headers.get('Location', '')}\n"
            f"{normalise(BeautifulSoup(body, 'html.parser').get_text(' '))[:600]}")
        if redirect is not None:
            location = response.headers.get("Location", "")
            target = urlsplit(location)
            got = unquote(target.path + (f"?{target.query}" if target.query else ""))
            assert got == redirect, f"{url}: redirected to {got!r}, expected {redirect!r}"
        if 300 <= response.status_code < 400:
            return BeautifulSoup("", "html.parser")
        if response.mimetype == "text/html":
            return check_page(body, url)
        return BeautifulSoup(body, "html.parser")
