"""The shared PDF checker (../shared/tools/pdf-check) accepts every sample: A4, PDF/A, fonts embedded."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from workflows.documents.render import RenderedDocument

PDF_CHECK = Path(__file__).resolve().parents[2].parent / "shared" / "tools" / "pdf-check"

EXPECT = {
    "beschlussvorlage": ["Sitzungsvorlage", "4.096.000,00 €", "Verwaltungsausschuss", "24.10.2017"],
    "antrag": ["Regierungspräsidium Stuttgart", "97877 Wertheim", "4.096.000,00 €", "05.03.2018"],
    "stellenausschreibung": ["Integrationsmanager (m/w/d)", "TVöD SuE S 11b", "19.11.2017"],
    "abstimmungsergebnis": ["Der Antrag ist angenommen.", "Ja-Stimmen", "24.10.2017"],
    "mitteilung_gemeinden": ["Leon Wolf", "31.01.2020", "Haslach im Kinzigtal"],
}


@pytest.mark.skipif(not PDF_CHECK.exists(), reason=f"{PDF_CHECK} not found (shared tools are not beside the repo)")
def test_pdf_check_accepts_every_sample(samples: dict[str, RenderedDocument], tmp_path: Path) -> None:
    runs = {}
    for kind, document in samples.items():  # run in parallel: each check takes about 1.5 s
        pdf = tmp_path / document.filename
        pdf.write_bytes(document.pdf)
        args = [str(PDF_CHECK), str(pdf), "--png", str(tmp_path / "png" / kind)]
        for text in EXPECT[kind]:
            args += ["--expect", text]
        runs[kind] = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for kind, run in runs.items():
        output, _ = run.communicate(timeout=120)
        if run.returncode == 2:
            pytest.skip(f"pdf-check is not set up (run ../shared/tools/setup): {output[-300:]}")
        assert run.returncode == 0, f"{kind}:\n{output}"
        assert "PDF/A-3u" in output and "(A4)" in output, output
        assert "not embedded" not in output
        assert any((tmp_path / "png" / kind).glob("*.png")), f"no PNG for {kind}"
