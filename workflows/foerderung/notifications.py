"""Which of the programme's tasks put a document before someone to release or sign (their mail says so)."""

from __future__ import annotations

SIGN_ELEMENTS = {"beschlussvorlage_freigeben", "antrag_zeichnen", "personalrat_zustimmung"}
