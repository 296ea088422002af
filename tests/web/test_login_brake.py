"""The login brake: atomic under parallel guessing, by account and address, and no lock-out by strangers."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask

from workflows.identity import accounts
from workflows.storage.db import Database
from workflows.storage.models import LoginThrottle, utcnow

PARALLEL = 30


def _attempt(db: Database, username: str, password: str, address: str) -> int:
    try:
        accounts.authenticate(db, username, password, address=address, sleep=lambda _s: None)
    except (accounts.LoginFailed, accounts.LoginThrottled) as exc:
        return exc.http_status
    return 200


def test_parallel_wrong_passwords_are_checked_at_most_the_free_attempts(mini_db: Database) -> None:
    barrier = threading.Barrier(PARALLEL)
    statuses: list[int] = []

    def guess() -> None:
        barrier.wait()
        statuses.append(_attempt(mini_db, "admin", "geraten", "203.0.113.7"))

    threads = [threading.Thread(target=guess) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(statuses) == PARALLEL
    assert statuses.count(401) == accounts.FREE_ATTEMPTS
    assert statuses.count(429) == PARALLEL - accounts.FREE_ATTEMPTS
    # the attacker's address waits; the person, elsewhere, logs in with the right password
    assert _attempt(mini_db, "admin", "demo", "203.0.113.7") == 429
    assert _attempt(mini_db, "admin", "demo", "198.51.100.2") == 200


def test_a_stranger_cannot_lock_a_person_out_only_slow_them_down(mini_db: Database) -> None:
    with mini_db.write() as session:  # a distributed attack: the account failed often, from many addresses
        session.add(LoginThrottle(key="dezernat", failures=40, last_failure_at=utcnow()))
    held: list[float] = []
    assert accounts.authenticate(mini_db, "dezernat", "demo", address="198.51.100.2", sleep=held.append) == "dezernat"
    assert held == [accounts.MAX_SLOWDOWN]
    with mini_db.read() as session:  # a success clears the account's counter
        assert session.get(LoginThrottle, "dezernat") is None
    assert accounts.slowdown_after(accounts.FREE_ACCOUNT_ATTEMPTS - 1) == 0
    assert 0 < accounts.slowdown_after(accounts.FREE_ACCOUNT_ATTEMPTS) < accounts.slowdown_after(
        accounts.FREE_ACCOUNT_ATTEMPTS + 3) <= accounts.MAX_SLOWDOWN


def test_an_address_guessing_many_accounts_is_braked(mini_db: Database) -> None:
    address = "203.0.113.9"
    for index in range(accounts.FREE_ADDRESS_ATTEMPTS):
        assert _attempt(mini_db, f"konto{index}", "geraten", address) == 401
    assert _attempt(mini_db, "sachbearbeitung", "demo", address) == 429
    assert _attempt(mini_db, "sachbearbeitung", "demo", "198.51.100.2") == 200
    with mini_db.write() as session:  # the delay has passed
        session.get(LoginThrottle, f"@{address}").last_failure_at = utcnow() - timedelta(hours=1)  # type: ignore[union-attr]
    assert _attempt(mini_db, "sachbearbeitung", "demo", address) == 200


def test_the_web_login_brakes_by_client_address(app: Flask) -> None:
    attacker = app.test_client()
    for _ in range(accounts.FREE_ATTEMPTS):
        assert attacker.post("/login", data={"username": "admin", "password": "x"},
                             environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 401
    assert attacker.post("/login", data={"username": "admin", "password": "demo"},
                         environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 429
    person = app.test_client()
    assert person.post("/login", data={"username": "admin", "password": "demo"},
                       environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 303
