"""Verwaltungsausschuss vote: counting and the result rule (mirrors `bpmn/abstimmung.dmn`).

Rule (domain.md §3.2): adopted when more Ja than Nein among the votes cast; abstentions
count as not cast, a tie rejects; the committee must have a quorum: at least half of its
members took part (voted Ja, Nein or Enthaltung).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STIMMEN = ("ja", "nein", "enthaltung")


def stimmen_zaehlen(stimmen: Iterable[Mapping[str, Any]], mitglieder: Iterable[Any]) -> dict[str, int]:
    """Counts for the DMN: ja, nein, enthaltung, teilgenommen, mitglieder_anzahl.

    A vote row without a valid `stimme` (e.g. `nicht_teilgenommen`, set when the session
    closed) counts as not taken part.
    """
    counts = {key: 0 for key in STIMMEN}
    for row in stimmen:
        if row.get("stimme") in counts:
            counts[row["stimme"]] += 1
    members = len(list(mitglieder))
    taken_part = sum(counts.values())
    return dict(counts, teilgenommen=taken_part, mitglieder_anzahl=members,
                nicht_teilgenommen=members - taken_part)


def vote_result(votes: Iterable[Mapping[str, Any]], members: Iterable[Any]) -> dict[str, Any]:
    """Python twin of the DMN decision `abstimmungsergebnis`; tests check both agree.

    Returns the counts plus `beschluss_angenommen` (bool) and `beschluss_begruendung`.
    """
    c = stimmen_zaehlen(votes, members)
    if c["teilgenommen"] * 2 < c["mitglieder_anzahl"] or c["mitglieder_anzahl"] == 0:
        angenommen, grund = False, "nicht beschlussfähig"
    elif c["ja"] > c["nein"]:
        angenommen, grund = True, "angenommen"
    elif c["ja"] == c["nein"]:
        angenommen, grund = False, "abgelehnt (Stimmengleichheit)"
    else:
        angenommen, grund = False, "abgelehnt"
    return dict(c, beschluss_angenommen=angenommen, beschluss_begruendung=grund)


def nicht_teilgenommen(mitglied: Mapping[str, Any]) -> dict[str, Any]:
    """Vote row for a member who did not vote before the session closed."""
    return {"username": mitglied["username"], "name": mitglied.get("name"), "stimme": "nicht_teilgenommen"}


def stimme_vervollstaendigen(stimme: Mapping[str, Any], mitglied: Mapping[str, Any]) -> dict[str, Any]:
    """Tag a vote with the member (the multi-instance output is in completion order)."""
    return dict(stimme, username=mitglied["username"], name=mitglied.get("name"))
