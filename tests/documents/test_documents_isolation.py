"""Nothing outside the package is fetched: injected markup stays text, the fetcher refuses URLs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from _pdftext import norm, pdf_text

from workflows.documents.render import AssetFetcher, RefusedURLError, html_to_pdf, render_document, render_html
from workflows.foerderung.samples import sample_context


class _CountingServer(ThreadingHTTPServer):
    requests: list[str]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red; }")

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[_CountingServer]:
    httpd = _CountingServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(server: _CountingServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/{path}"


def test_server_fixture_counts_requests(server: _CountingServer) -> None:
    """Guard against a silently broken counter: a direct request is seen."""
    import urllib.request

    with urllib.request.urlopen(_url(server, "probe")) as response:
        response.read()
    assert server.requests == ["/probe"]


def test_injected_markup_is_shown_as_text_and_nothing_is_fetched(server: _CountingServer) -> None:
    payloads = {
        "img_file": '<img src="file:///etc/passwd">',
        "img_http": f'<img src="{_url(server, "img.png")}">',
        "css": f'</style><style>@import url("{_url(server, "import.css")}");</style>',
        "attr": f'x" style="background: url({_url(server, "bg.png")})',
        "script": "<script>alert(1)</script>",
        "amp": 'Müller & Söhne "GmbH"',
    }
    context = sample_context("beschlussvorlage")
    context["betreff"] = payloads["img_file"] + " " + payloads["script"]
    context["sachverhalt"] = "\n\n".join(payloads.values())
    context["gemeinden"] = context["gemeinden"][:3]
    context["gemeinden"][0]["name"] = payloads["img_http"]
    context["beschlussvorschlag"][0] = payloads["css"]
    context["anlagen"] = [payloads["attr"], payloads["amp"]]

    html, _, _ = render_html("beschlussvorlage", context)
    assert "<img" not in html and "<script" not in html and "</style><style>" not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html

    text = pdf_text(render_document("beschlussvorlage", context).pdf)
    assert server.requests == []
    for payload in payloads.values():
        assert norm(payload) in text, payload


def test_fetcher_refuses_everything_but_package_assets(server: _CountingServer) -> None:
    """Raw HTML (bypassing autoescape) with every kind of external reference."""
    html = f"""<!DOCTYPE html><html lang="de"><head><title>t</title>
      <link rel="stylesheet" href="grantflow-asset:/document.css">
      <link rel="stylesheet" href="{_url(server, "link.css")}">
      <style>@import url("{_url(server, "import.css")}");
        @font-face {{ font-family: X; src: url("{_url(server, "font.ttf")}"); }}
        p {{ background: url("file:///etc/passwd"); font-family: X, Carlito; }}</style></head>
      <body><p>Hallo</p>
      <img src="{_url(server, "img.png")}"><img src="file:///etc/passwd">
      <img src="grantflow-asset:/../../../../../etc/passwd">
      <img src="grantflow-asset:/%2e%2e/%2e%2e/formatting.py">
      <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
      <img src="//127.0.0.1:{server.server_address[1]}/relative.png"></body></html>"""
    fetcher = AssetFetcher()
    pdf = html_to_pdf(html, fetcher)
    assert pdf.startswith(b"%PDF")
    assert server.requests == []
    refused = " ".join(fetcher.refused)
    for fragment in ("link.css", "import.css", "font.ttf", "img.png", "file:///etc/passwd", "etc/passwd", "data:"):
        assert fragment in refused, fragment
    assert "Hallo" in pdf_text(pdf)


def test_fetcher_serves_assets_and_rejects_path_tricks() -> None:
    fetcher = AssetFetcher()
    response = fetcher.fetch("grantflow-asset:/fonts/Carlito-Regular.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"  # TrueType
    assert response.content_type == "font/ttf"
    for url in (
        "grantflow-asset:/../render.py",
        "grantflow-asset://host/document.css",
        "grantflow-asset:/document.css?x=1",
        "grantflow-asset:/fonts",
        "file:///etc/passwd",
        "https://example.org/document.css",
    ):
        with pytest.raises(RefusedURLError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6
