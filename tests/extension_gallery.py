"""Stand-in for Open VSX, code-server's extension registry (no registry is reachable here).

It answers the two calls code-server's CLI makes for `--install-extension <publisher.name>@<version>`
(checked against code-server 4.104.0 and 4.133.0, VS Code 1.104 and 1.133, with a logging server): a POST to
`<serviceUrl>/extensionquery` (filter type 7 holds the extension id) and GETs of the version's
assets under its `assetUri` (the package manifest, then the VSIX). The VSIX it serves is a
stand-in extension with the requested id and version: the real Continue package cannot be fetched.

Run as a program (stdlib only, so it runs in any network namespace): `python3 extension_gallery.py
PORT publisher.name@version...`; each request is logged on stdout.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VSIX = "Microsoft.VisualStudio.Services.VSIXPackage"
MANIFEST = "Microsoft.VisualStudio.Code.Manifest"
ENGINE = "^1.70.0"


def package_json(publisher: str, name: str, version: str) -> bytes:
    manifest = {
        "name": name,
        "displayName": name,
        "publisher": publisher,
        "version": version,
        "engines": {"vscode": ENGINE},
        "main": "./extension.js",
    }
    return json.dumps(manifest).encode()


def vsix(publisher: str, name: str, version: str) -> bytes:
    """A minimal extension package: the VSIX manifest, the content types and the extension."""
    vsixmanifest = f"""<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">
  <Metadata>
    <Identity Language="en-US" Id="{name}" Version="{version}" Publisher="{publisher}" />
    <DisplayName>{name}</DisplayName>
    <Description xml:space="preserve">A stand-in for the extension of this name.</Description>
    <Properties><Property Id="Microsoft.VisualStudio.Code.Engine" Value="{ENGINE}" /></Properties>
  </Metadata>
  <Installation><InstallationTarget Id="Microsoft.VisualStudio.Code" /></Installation>
  <Dependencies />
  <Assets><Asset Type="{MANIFEST}" Path="extension/package.json" Addressable="true" /></Assets>
</PackageManifest>
"""
    types = (
        '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension=".json" ContentType="application/json"/>'
        '<Default Extension=".js" ContentType="application/javascript"/><Default Extension='
        '".vsixmanifest" ContentType="text/xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("extension.vsixmanifest", vsixmanifest)
        archive.writestr("extension/package.json", package_json(publisher, name, version))
        archive.writestr("extension/extension.js", "exports.activate = function () {};\n")
    return buffer.getvalue()


def query_answer(
    base: str, extensions: dict[str, tuple[str, str, str]], query: dict[str, Any]
) -> dict[str, Any]:
    """The gallery's answer to an extension query: the extensions asked for by id that it has."""
    found = []
    for criteria in (f.get("criteria", []) for f in query.get("filters", [])):
        for criterion in criteria:
            known = extensions.get(str(criterion.get("value", "")).lower())
            if criterion.get("filterType") == 7 and known is not None:
                publisher, name, version = known
                asset = f"{base}/asset/{publisher}/{name}/{version}"
                found.append(
                    {
                        "extensionId": f"{publisher}.{name}".lower(),
                        "extensionName": name,
                        "displayName": name,
                        "shortDescription": "A stand-in extension.",
                        "flags": "validated, public",
                        "lastUpdated": "2025-10-01T00:00:00Z",
                        "publishedDate": "2025-10-01T00:00:00Z",
                        "publisher": {
                            "publisherId": publisher.lower(),
                            "publisherName": publisher,
                            "displayName": publisher,
                        },
                        "versions": [
                            {
                                "version": version,
                                "lastUpdated": "2025-10-01T00:00:00Z",
                                "assetUri": asset,
                                "fallbackAssetUri": asset,
                                "files": [
                                    {"assetType": kind, "source": f"{asset}/{kind}"}
                                    for kind in (VSIX, MANIFEST)
                                ],
                                "properties": [
                                    {"key": "Microsoft.VisualStudio.Code.Engine", "value": ENGINE}
                                ],
                            }
                        ],
                        "statistics": [],
                        "tags": [],
                        "categories": [],
                    }
                )
    count = {"metadataType": "ResultCount", "metadataItems": [{"name": "TotalCount", "count": len(found)}]}
    return {"results": [{"extensions": found, "resultMetadata": [count]}]}


def serve(port: int, wanted: list[str]) -> None:
    extensions = {}
    for spec in wanted:  # publisher.name@version
        identifier, version = spec.split("@")
        publisher, name = identifier.split(".")
        extensions[identifier.lower()] = (publisher, name, version)

    class Gallery(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            print(f"{self.command} {self.path}", flush=True)

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self.path.endswith("/extensionquery"):
                self._send(404, b"", "text/plain")
                return
            base = f"http://{self.headers['Host']}"
            answer = query_answer(base, extensions, json.loads(body or b"{}"))
            self._send(200, json.dumps(answer).encode(), "application/json")

        def do_GET(self) -> None:
            parts = self.path.split("?")[0].strip("/").split("/")  # asset/publisher/name/version/kind
            known = extensions.get(".".join(parts[1:3]).lower()) if len(parts) == 5 else None
            if parts[0] != "asset" or known is None or known[2] != parts[3]:
                self._send(404, b"", "text/plain")
            elif parts[4] == MANIFEST:
                self._send(200, package_json(*known), "application/json")
            elif parts[4] == VSIX:
                self._send(200, vsix(*known), "application/octet-stream")
            else:
                self._send(404, b"", "text/plain")

    ThreadingHTTPServer(("0.0.0.0", port), Gallery).serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2:])
