"""Login throttling: wrong passwords slow down the guesser, never the curator elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dreamdraw.archive import Archive, open_archive
from dreamdraw.archive.web.app import create_app
from dreamdraw.archive.web.throttle import LoginThrottle
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
ATTACKER = "10.0.0.66"
CURATOR = "10.0.0.5"


class FakeClock:
    """A monotonic clock that moves only when the test says so (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def throttle(clock: FakeClock) -> LoginThrottle:
    return LoginThrottle(clock=clock)


@pytest.fixture
def archive(data_dir: Path) -> Iterator[Archive]:
    archive = open_archive(data_dir)
    archive.add_curator("ann", PASSWORD)
    yield archive
    archive.close()


class Browser:
    """A browser at one client address, on the app with the test's throttle."""

    def __init__(self, archive: Archive, throttle: LoginThrottle, address: str) -> None:
        app = create_app(archive, secret="s", login_throttle=throttle)
        self.client = TestClient(app, base_url="https://testserver", client=(address, 5000))

    def login(self, name: str, password: str) -> httpx.Response:
        page = self.client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        return self.client.post(
            "/login",
            data={"name": name, "password": password, "csrf_token": token},
            follow_redirects=False,
        )


def test_the_first_wrong_passwords_are_answered_at_once(
    archive: Archive, throttle: LoginThrottle
) -> None:
    browser = Browser(archive, throttle, ATTACKER)
    for _ in range(LoginThrottle.FREE_FAILURES):
        assert browser.login("ann", "wrong password").status_code == 401


def test_forty_wrong_passwords_then_the_right_one_must_wait(
    archive: Archive, throttle: LoginThrottle
) -> None:
    browser = Browser(archive, throttle, ATTACKER)
    codes = [browser.login("ann", "wrong password").status_code for _ in range(40)]
    assert codes.count(401) == LoginThrottle.FREE_FAILURES + 1
    assert codes.count(429) == 40 - LoginThrottle.FREE_FAILURES - 1
    refused = browser.login("ann", PASSWORD)
    assert refused.status_code == 429
    assert browser.client.get("/api/records").status_code == 200
    assert "log out" not in browser.client.get("/").text.lower()


def test_the_wait_is_shown_to_the_curator_in_words_and_in_retry_after(
    archive: Archive, throttle: LoginThrottle
) -> None:
    browser = Browser(archive, throttle, ATTACKER)
    for _ in range(LoginThrottle.FREE_FAILURES + 1):
        browser.login("ann", "wrong password")
    response = browser.login("ann", PASSWORD)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert "too many wrong passwords: wait 2 s before trying again" in response.text


def test_after_the_wait_the_right_password_logs_in(
    archive: Archive, throttle: LoginThrottle, clock: FakeClock
) -> None:
    browser = Browser(archive, throttle, ATTACKER)
    for _ in range(LoginThrottle.FREE_FAILURES + 1):
        browser.login("ann", "wrong password")
    clock.now += 2.0
    assert browser.login("ann", PASSWORD).status_code == 303


def test_the_delay_doubles_with_each_further_wrong_password(
    throttle: LoginThrottle, clock: FakeClock
) -> None:
    waits = []
    for _ in range(LoginThrottle.FREE_FAILURES + 6):
        clock.now += throttle.wait_s("ann", ATTACKER)
        throttle.failed("ann", ATTACKER)
        waits.append(throttle.wait_s("ann", ATTACKER))
    assert waits == [0.0] * LoginThrottle.FREE_FAILURES + [2.0, 4.0, 8.0, 16.0, 32.0, 64.0]


def test_the_delay_stops_growing_at_its_ceiling(throttle: LoginThrottle, clock: FakeClock) -> None:
    for _ in range(60):
        clock.now += throttle.wait_s("ann", ATTACKER)
        throttle.failed("ann", ATTACKER)
    assert throttle.wait_s("ann", ATTACKER) == LoginThrottle.MAX_DELAY_S


def test_an_attacker_does_not_keep_the_curator_at_another_address_out(
    archive: Archive, throttle: LoginThrottle
) -> None:
    attacker = Browser(archive, throttle, ATTACKER)
    for _ in range(40):
        attacker.login("ann", "wrong password")
    assert Browser(archive, throttle, CURATOR).login("ann", PASSWORD).status_code == 303


def test_one_address_guessing_many_names_is_slowed_by_its_own_bucket(
    throttle: LoginThrottle,
) -> None:
    for n in range(LoginThrottle.ADDRESS_BURST):
        assert throttle.wait_s(f"name{n}", ATTACKER) == 0.0
        throttle.failed(f"name{n}", ATTACKER)
    assert throttle.wait_s("someone else", ATTACKER) == LoginThrottle.ADDRESS_REFILL_S
    assert throttle.wait_s("someone else", CURATOR) == 0.0


def test_a_login_clears_the_delay_of_its_name_and_address(
    throttle: LoginThrottle, clock: FakeClock
) -> None:
    for _ in range(LoginThrottle.FREE_FAILURES + 2):
        clock.now += throttle.wait_s("ann", CURATOR)
        throttle.failed("ann", CURATOR)
    clock.now += throttle.wait_s("ann", CURATOR)
    throttle.succeeded("ann", CURATOR)
    throttle.failed("ann", CURATOR)
    assert throttle.wait_s("ann", CURATOR) == 0.0


def test_a_throttled_attempt_does_not_lengthen_the_wait(
    throttle: LoginThrottle, clock: FakeClock
) -> None:
    for _ in range(LoginThrottle.FREE_FAILURES + 1):
        throttle.failed("ann", ATTACKER)
    before = throttle.wait_s("ann", ATTACKER)
    for _ in range(100):
        throttle.wait_s("ann", ATTACKER)
    assert throttle.wait_s("ann", ATTACKER) == before


def test_memory_stays_bounded_under_a_flood_of_addresses(throttle: LoginThrottle) -> None:
    for n in range(3 * LoginThrottle.MAX_ENTRIES):
        throttle.failed("ann", f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
    assert throttle.entries() <= 2 * LoginThrottle.MAX_ENTRIES
