"""The staff console's security properties, over HTTP against the console as
`make run` starts it: no page or API without a session, CSRF refused, role
limits, hashes stored (never passwords), lock-out, idle timeout, audit rows
written, security headers, and the account command."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clinic_core.staff import AuditEntry, StaffSession, StaffUser
from staff_console.app import create_app
from staff_console.config import Settings
from tests.console.harness import PASSWORDS, ROOT, Console, start_console

SAMPLE = {
    "screening_id": "1",
    "reference": "ABC234",
    "callback_id": "1",
    "handover_id": "1",
    "user_id": "1",
    "change": "unlock",
}


@functools.lru_cache(maxsize=1)
def routes() -> list[tuple[str, str]]:
    """Every (method, path) the console serves, with sample parameters."""
    app = create_app(Settings(secret_key="k" * 40), console=object(), name="route_list")  # type: ignore[arg-type]
    found = set()
    for route in app.router.routes:
        path = "/" + route.path.lstrip("/")
        if path.startswith("/static"):
            continue
        path = re.sub(r"<(\w+)(?::[^>]+)?>", lambda m: SAMPLE.get(m.group(1), "1"), path)
        for method in route.methods:
            if method in ("GET", "POST"):
                found.add((method, path))
    return sorted(found)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    running = start_console(tmp_path_factory.mktemp("console"))
    yield running
    running.stop()


def test_there_are_pages_and_apis_to_protect() -> None:
    paths = {p for _, p in routes()}
    assert {
        "/reviews",
        "/bookings",
        "/callbacks",
        "/inbox",
        "/analytics",
        "/audit",
        "/accounts",
    } <= paths
    assert {
        "/api/reviews",
        "/api/bookings",
        "/api/callbacks",
        "/api/handovers",
        "/api/analytics",
    } <= paths


@pytest.mark.parametrize("cookie", [None, "forged-token.signature", "random"])
def test_no_page_or_api_without_a_session(console: Console, cookie: str | None) -> None:
    staff = console.session()
    if cookie:
        staff.http.cookies.set("staff_session", cookie)
    for method, path in routes():
        if path in ("/login", "/healthz"):
            continue
        answer = staff.http.request(method, console.url + path, allow_redirects=False)
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.json() == {"error": "not signed in"}
        else:
            assert answer.status_code == 303 and answer.headers["Location"] == "/login", (
                method,
                path,
            )
    # unknown paths say nothing either
    assert (
        staff.http.get(console.url + "/api/nothing-here", allow_redirects=False).status_code == 401
    )
    assert (
        staff.http.get(console.url + "/admin", allow_redirects=False).headers["Location"]
        == "/login"
    )


def test_login_page_is_public_and_the_cookies_are_safe(console: Console) -> None:
    staff = console.session()
    page = staff.get("/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    answer = staff.http.post(
        console.url + "/login",
        allow_redirects=False,
        data={
            "nonce": re.search(r'name="nonce" value="([^"]+)"', page.text).group(1),
            "username": "rita",
            "password": PASSWORDS["rita"],
        },
    )
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert (
        cookie.startswith("staff_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    )
    assert (
        "expires" not in cookie.lower() and "max-age" not in cookie.lower()
    )  # the server times it out
    # a tampered signature is no session
    value = staff.http.cookies.get("staff_session")
    staff.http.cookies.clear()
    staff.http.cookies.set(
        "staff_session", value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    )
    assert staff.get("/callbacks", allow_redirects=False).status_code == 303


def test_login_form_needs_its_own_token(console: Console) -> None:
    staff = console.session()
    staff.get("/login")
    answer = staff.http.post(
        console.url + "/login",
        data={"username": "rita", "password": PASSWORDS["rita"]},
        allow_redirects=False,
    )
    assert answer.status_code == 403 and "staff_session" not in answer.headers.get("Set-Cookie", "")


def test_csrf_is_refused_on_forms_and_api(console: Console) -> None:
    staff = console.session("rita")
    store = console.store()
    callback = store.request_callback("Jo Bloggs", "020 7946 0999", "mornings")
    path = f"/callbacks/{callback.id}/note"
    assert (
        staff.post(path, {"text": "no token"}, csrf=False, allow_redirects=False).status_code == 403
    )
    assert (
        staff.post(path, {"text": "bad", "csrf_token": "x" * 43}, allow_redirects=False).status_code
        == 403
    )
    assert staff.api("POST", f"/api/callbacks/{callback.id}/called", csrf=False).status_code == 403
    assert (
        staff.api(
            "POST", f"/api/callbacks/{callback.id}/called", headers={"X-CSRF-Token": "wrong"}
        ).status_code
        == 403
    )
    evil = staff.post(
        path,
        {"text": "cross-site"},
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
    )
    assert evil.status_code == 403
    assert staff.post("/logout", csrf=False, allow_redirects=False).status_code == 403
    assert store.get_callback(callback.id).called_at is None
    ok = staff.post(path, {"text": "tried twice, no answer"}, allow_redirects=False)
    assert ok.status_code == 303
    assert staff.api("POST", f"/api/callbacks/{callback.id}/called").status_code == 200
    assert store.get_callback(callback.id).called_by == "rita"
    # another session's token does not work in this one
    other = console.session("sam")
    assert (
        staff.api(
            "POST",
            f"/api/callbacks/{callback.id}/note",
            json={"text": "x"},
            headers={"X-CSRF-Token": other.csrf},
        ).status_code
        == 403
    )


@pytest.mark.parametrize(
    "user, allowed, refused",
    [
        (
            "anna",
            [
                "/reviews",
                "/bookings",
                "/bookings?therapist=anna",
                "/inbox",
                "/analytics",
                "/api/reviews",
            ],
            [
                "/callbacks",
                "/accounts",
                "/audit",
                "/bookings?therapist=tom",
                "/api/callbacks",
                "/api/audit",
                "/api/bookings?therapist=tom",
            ],
        ),
        (
            "rita",
            ["/bookings?therapist=tom", "/callbacks", "/inbox", "/analytics", "/api/callbacks"],
            ["/reviews", "/accounts", "/audit", "/api/reviews", "/api/audit"],
        ),
        (
            "sam",
            [
                "/reviews",
                "/bookings",
                "/callbacks",
                "/inbox",
                "/analytics",
                "/audit",
                "/accounts",
                "/api/audit",
            ],
            [],
        ),
    ],
)
def test_role_limits(console: Console, user: str, allowed: list[str], refused: list[str]) -> None:
    staff = console.session(user)
    for path in allowed:
        assert staff.get(path).status_code == 200, (user, path)
    for path in refused:
        answer = staff.get(path)
        assert answer.status_code == 403, (user, path, answer.status_code)
    menu = re.findall(r'<li><a href="(/[a-z]+)"', staff.get("/analytics").text)
    visible = {
        "anna": ["/inbox", "/reviews", "/bookings", "/analytics"],
        "rita": ["/inbox", "/bookings", "/callbacks", "/analytics"],
        "sam": [
            "/inbox",
            "/reviews",
            "/bookings",
            "/callbacks",
            "/analytics",
            "/audit",
            "/accounts",
        ],
    }[user]
    assert menu == visible


def test_a_therapist_cannot_change_bookings(console: Console) -> None:
    anna = console.session("anna")
    assert anna.post("/bookings", {"service": "body_massage:60"}).status_code == 403
    assert anna.api("POST", "/api/bookings/ABC234/cancel").status_code == 403


def test_passwords_are_stored_as_hashes_never_in_clear(console: Console) -> None:
    store = console.store()
    with store.session() as s:
        hashes = dict(s.execute(select(StaffUser.username, StaffUser.password_hash)).all())
    assert all(h.startswith("$argon2id$") for h in hashes.values())
    raw = b"".join(p.read_bytes() for p in console.workdir.glob("clinic.db*"))
    for password in PASSWORDS.values():
        assert password.encode() not in raw
        assert password not in console.log


def test_lock_out_after_five_wrong_passwords_and_admin_unlock(console: Console) -> None:
    tom = console.session()
    for _ in range(5):
        assert tom.login("tom", "not the password!").status_code == 401
    locked = tom.login("tom", PASSWORDS["tom"])
    assert locked.status_code == 401 and "locked" in locked.text
    admin = console.session("sam")
    assert "Unlock tom" in admin.get("/accounts").text
    store = console.store()
    with store.session() as s:
        tom_id = s.execute(select(StaffUser.id).where(StaffUser.username == "tom")).scalar_one()
    assert admin.post(f"/accounts/{tom_id}/unlock").status_code == 200
    assert tom.login("tom", PASSWORDS["tom"]).status_code == 200 and tom.csrf


def test_idle_session_ends_and_logout_ends_it_on_the_server(console: Console) -> None:
    rita = console.session("rita")
    assert rita.get("/callbacks").status_code == 200
    store = console.store()
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=31)
    with store.session() as s, s.begin():
        rita_id = s.execute(select(StaffUser.id).where(StaffUser.username == "rita")).scalar_one()
        s.execute(
            update(StaffSession).values(last_seen_at=old).where(StaffSession.user_id == rita_id)
        )
    assert rita.get("/callbacks", allow_redirects=False).headers.get("Location") == "/login"
    rita = console.session("rita")
    cookie = rita.http.cookies.get("staff_session")
    assert rita.post("/logout", allow_redirects=False).status_code == 303
    again = console.session()
    again.http.cookies.set("staff_session", cookie)
    assert again.get("/callbacks", allow_redirects=False).status_code == 303


def test_viewing_health_data_writes_audit_rows(console: Console) -> None:
    store = console.store()
    screening = store.save_screening(
        "client-audit", "clearance", ["pregnancy"], {"pregnancy": "yes"}
    )
    callback = store.request_callback(
        "Jane Doe", "07911 123456", "evenings", reason="pre-screen outcome: postpone (fever)"
    )
    anna, rita, sam = console.session("anna"), console.session("rita"), console.session("sam")
    page = anna.get("/reviews")
    assert f"Pre-screen #{screening}" in page.text and "clearance" in page.text
    assert rita.get("/callbacks").status_code == 200
    assert anna.get("/api/reviews").status_code == 200
    with store.session() as s:
        rows = s.execute(
            select(
                AuditEntry.username, AuditEntry.action, AuditEntry.record_type, AuditEntry.record_id
            )
        ).all()
    assert ("anna", "view", "screening", str(screening)) in rows
    assert ("rita", "view", "callback", str(callback.id)) in rows
    assert sum(1 for r in rows if r == ("anna", "view", "screening", str(screening))) == 2
    log = sam.get("/audit?user=anna").text
    assert f"screening {screening}" in log
    # the audit log holds ids only: no name, phone, condition or answer
    for secret in ("Jane Doe", "07911", "pregnancy", "fever"):
        assert secret not in str(rows)


def test_security_headers_and_no_inline_code_on_every_page(console: Console) -> None:
    sam = console.session("sam")
    for path in [
        "/login",
        "/reviews",
        "/bookings",
        "/bookings?view=week",
        "/callbacks",
        "/inbox",
        "/analytics",
        "/audit",
        "/accounts",
        "/api/me",
    ]:
        answer = sam.get(path) if path != "/login" else console.session().get(path)
        h = answer.headers
        assert (
            "script-src 'self'" in h["Content-Security-Policy"]
            and "unsafe" not in h["Content-Security-Policy"]
        )
        assert (
            "frame-ancestors 'none'" in h["Content-Security-Policy"]
            and h["X-Frame-Options"] == "DENY"
        )
        assert h["Cache-Control"] == "no-store" and h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        if path.startswith("/api/"):
            continue
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", answer.text), path
        assert not re.search(r"\sstyle=|\son[a-z]+=|javascript:", answer.text), path


def test_account_command(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'c.db'}"
    cmd = [sys.executable, "-m", "staff_console.accounts", "--db-url", db]
    env = dict(os.environ, STAFF_NEW_PASSWORD="a long enough password")
    done = subprocess.run(
        cmd + ["create-admin", "--username", "Owner", "--name", "Olivia"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0 and "Created admin account owner" in done.stdout
    listed = subprocess.run(
        cmd + ["list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert "owner" in listed.stdout and "admin" in listed.stdout
    no_tty = {k: v for k, v in env.items() if k != "STAFF_NEW_PASSWORD"}
    refused = subprocess.run(
        cmd + ["create", "--username", "x1", "--name", "X", "--role", "reception"],
        cwd=ROOT,
        env=no_tty,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 1 and "STAFF_NEW_PASSWORD" in refused.stderr
    assert "a long enough password" not in done.stdout + done.stderr + listed.stdout
