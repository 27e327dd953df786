"""Prose that spans lines stays prose in every format it reaches (generator/escape.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.catalog.model import EnvVar
from generator.envfile import read_assignments
from generator.escape import caddy_comment, caddy_word, compose_default, env_comment, prometheus_text
from generator.plan.compose.references import reference
from generator.render.yaml_text import to_yaml
from tests.components import missing
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen
from tests.docker_env import compose_binary

HOSTILE = "Signs sessions.\nINJECTED=1\n  ALSO=2\n\nexport EVIL=$(id)"


def _sourced(path: Path) -> str:
    """What sh sees after sourcing the file: the names it defines."""
    script = f'set -a; . "{path}"; env'
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env={}, check=True)
    return result.stdout


def test_env_comment_comments_every_line() -> None:
    assert env_comment(HOSTILE).splitlines() == [
        "# Signs sessions.",
        "# INJECTED=1",
        "#   ALSO=2",
        "#",
        "# export EVIL=$(id)",
    ]
    assert env_comment("") == "#"


def test_a_description_with_line_breaks_defines_nothing_in_env_files(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    service = catalog / "services" / "open-webui.yaml"
    text = service.read_text()
    old = "    description: Signs sessions and encrypts tokens; must stay the same across restarts.\n"
    assert old in text
    hostile = "    description: |-\n" + "".join(f"      {line}\n" for line in HOSTILE.splitlines())
    service.write_text(text.replace(old, hostile))
    assert run_gen("build", "--catalog", str(catalog), "--out", str(tmp_path / "out")).exit_code == 0
    assert (
        run_gen("secrets", "ai", "--catalog", str(catalog), "--dir", str(tmp_path / "secrets")).exit_code == 0
    )
    for path in (
        tmp_path / "out" / "stacks" / "ai" / "cpu" / ".env.example",
        tmp_path / "secrets" / "ai.env",
    ):
        assert "# INJECTED=1" in path.read_text()
        names = set(read_assignments(path))
        assert not {"INJECTED", "ALSO", "EVIL"} & names, path
        sourced = _sourced(path)
        assert "INJECTED=" not in sourced and "EVIL=" not in sourced and "uid=" not in sourced


def test_caddy_words_and_comments() -> None:
    assert caddy_word("ops@example.org") == '"ops@example.org"'
    for hostile in ("{$PROXY_PASSWORD}@example.org", 'a"b', "a b", "a}", "#x", ""):
        with pytest.raises(ValueError):
            caddy_word(hostile)
    assert caddy_comment("# Chat {$PROXY_PASSWORD} }\tnext") == "# Chat ($PROXY_PASSWORD) ) next"


@pytest.mark.caddy
def test_catalog_text_cannot_reach_caddys_placeholders(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """The real `caddy adapt` reads the Caddyfile of a catalog whose titles and reasons hold
    braces and Caddy's environment placeholders: same sites, and no variable's value anywhere."""
    caddy = shutil.which("caddy")
    if caddy is None:
        missing("caddy (Debian package caddy) is not installed")
    catalog = catalog_copy(DEFAULT_CATALOG)
    webui = catalog / "services" / "open-webui.yaml"
    webui.write_text(
        webui.read_text().replace("title: Open WebUI\n", 'title: "Chat {$PROXY_PASSWORD} } evil.example {"\n')
    )
    proxy = catalog / "services" / "caddy.yaml"
    refused = proxy.read_text().replace(
        "  tls: internal\n", "  tls: acme\n  acme_email: '{$PROXY_PASSWORD}@example.com'\n"
    )
    proxy.write_text(refused)
    result = run_gen("validate", "--catalog", str(catalog))
    assert result.exit_code == 1 and "proxy.acme_email" in result.stderr  # refused by the catalog
    proxy.write_text(refused.replace("'{$PROXY_PASSWORD}@example.com'", "ops@example.org"))
    out = tmp_path / "out"
    assert run_gen("build", "--catalog", str(catalog), "--out", str(out)).exit_code == 0
    environment = {
        **os.environ,
        "PROXY_PASSWORD": "s3cret-value",
        "PROXY_PASSWORD_HASH": "h",
        "HOME": str(tmp_path),
    }
    caddyfile = out / "stacks" / "edge" / "cpu" / "Caddyfile"
    adapted = subprocess.run(
        [str(caddy), "adapt", "--config", str(caddyfile), "--adapter", "caddyfile"],
        capture_output=True, text=True, env=environment, check=False,
    )  # fmt: skip
    assert adapted.returncode == 0, adapted.stderr
    assert "s3cret-value" not in adapted.stdout
    config = json.loads(adapted.stdout)
    hosts = {
        h for r in config["apps"]["http"]["servers"]["srv0"]["routes"] for m in r["match"] for h in m["host"]
    }
    assert hosts == {f"{h}.ai.home.arpa" for h in ("chat", "code", "metrics", "ollama", "portainer")}


@pytest.mark.promtool
def test_catalog_text_in_alert_annotations_is_printed_not_run(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """The real promtool: a title full of Go template syntax comes out of the alert literally."""
    if shutil.which("promtool") is None:
        missing("promtool (Debian package prometheus) is not installed")
    hostile = '{{ $labels.job }} }} {{ "x" | printf "%s" }} {{'
    assert prometheus_text("a {{ b }} c") == 'a {{"{{"}} b {{"}}"}} c'
    catalog = catalog_copy(DEFAULT_CATALOG)
    portainer = catalog / "services" / "portainer.yaml"
    portainer.write_text(portainer.read_text().replace("title: Portainer CE\n", f"title: '{hostile}'\n"))
    out = tmp_path / "out"
    assert run_gen("build", "--catalog", str(catalog), "--out", str(out)).exit_code == 0
    rules = out / "stacks" / "monitoring" / "cpu" / "alert-rules.yml"
    checked = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    case = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": 'probe_success{job="portainer"}', "values": "0x10"}],
                "alert_rule_test": [
                    {
                        "eval_time": "5m",
                        "alertname": "PortainerDown",
                        "exp_alerts": [
                            {
                                "exp_labels": {"severity": "critical", "job": "portainer"},
                                "exp_annotations": {
                                    "summary": f"{hostile} is down",
                                    "description": f"The portainer-probe check of {hostile} fails.",
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }
    tests_file = tmp_path / "tests.yml"
    tests_file.write_text(json.dumps(case))  # JSON is YAML
    result = subprocess.run(["promtool", "test", "rules", str(tests_file)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_catalog_text_reaches_the_site_as_text(catalog_copy: Callable[..., Path], tmp_path: Path) -> None:
    """mkdocs builds the site of a catalog whose title, description and notes carry HTML: every
    page shows it as text, no element comes through (a description imported from a Portainer
    file is the same text)."""
    catalog = catalog_copy(DEFAULT_CATALOG)
    webui = catalog / "services" / "open-webui.yaml"
    original = webui.read_text()
    webui.write_text(original.replace("title: Open WebUI\n", "title: 'Chat</title><script>x()</script>'\n"))
    refused = run_gen("validate", "--catalog", str(catalog))
    assert refused.exit_code == 1 and "title:" in refused.stderr and "no '<' or '>'" in refused.stderr
    text = original.replace(
        "description: >-\n",
        "description: |-\n  <script>alert('description')</script> <b>bold</b> <img src=x onerror=alert(1)>\n"
        "  [docs](https://docs.openwebui.com) [a](javascript:alert(2)) [b]( JaVa\tScript:alert(3))\n"
        "  ![c](data:text/html,x) [d](https://example.org){ onclick=alert(4) }\n\n"
        "  [e]: javascript:alert(5)\n\n  [f][e]\n",
        1,
    )
    # a value with backticks in the compose listing: a line of them must not close its fence
    health = "test: [CMD, curl, --silent, --fail, http://localhost:8080/health]"
    assert health in text
    text = text.replace(
        health, 'test: [CMD-SHELL, "curl --silent --fail http://localhost:8080/health\\n```\\n"]'
    )
    webui.write_text(text)
    out = tmp_path / "site"
    result = run_gen(
        "site", "build", "--catalog", str(catalog), "--config", str(ROOT / "mkdocs.yml"), "--out", str(out)
    )
    assert result.exit_code == 0, result.stderr
    page = (out / "catalog" / "services" / "open-webui" / "index.html").read_text()
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x" in page
    assert '<a href="https://docs.openwebui.com">docs</a>' in page  # the Markdown subset works
    for built in out.rglob("*.html"):
        html = built.read_text()
        assert "<script>alert(" not in html and "<img src=x" not in html and "<b>bold</b>" not in html, built
        for tag in re.findall(r"<[a-zA-Z][^>]*>", html):  # no handler, no script or data link
            assert not re.search(r"\son\w+\s*=", tag), (built, tag)
            assert not re.search(r"""(href|src)\s*=\s*["']?\s*(javascript|data):""", tag, re.I), (built, tag)
    assert "&#123; onclick=alert(4) &#125;" in page and "javascript:alert(5)</p>" in page  # as text
    listing = page[page.index('id="compose"') :]
    listing = listing[: listing.index("</pre>")]
    # the line of backticks is shown inside the listing, which goes on after it
    assert re.sub(r"<[^>]+>", "", listing).index("```") < re.sub(r"<[^>]+>", "", listing).index("condition:")
    # and the healthcheck line shows the command on one line, in one code span
    assert "<code>CMD-SHELL curl --silent --fail http://localhost:8080/health ⏎ ```</code>" in page


ENV_ALPHABET = st.characters(
    blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp"), blacklist_characters="\n\r$`\"'\\}"
)


@settings(max_examples=5, deadline=None)
@given(st.lists(st.text(ENV_ALPHABET, max_size=12), min_size=40, max_size=40))
def test_compose_gives_back_every_allowed_env_value(values: list[str]) -> None:
    """Every value the catalog allows, written as ${NAME:-value} by the compose renderer, comes
    back exactly from the real `docker-compose config` (forty values per run)."""
    values = [*values, "x{y", "a:-b", "#x", " padded ", "{", "%s", "a=b", "é€😀"]
    environment = {}
    for index, value in enumerate(values):
        variable = EnvVar(f"V{index}", value, None, 0, False, False, (), None, None)
        environment[variable.name] = reference(variable)
    document = {"services": {"s": {"image": "busybox:1", "environment": environment}}}
    folder = Path(tempfile.mkdtemp(prefix="gen-compose-"))
    (folder / "compose.yaml").write_bytes(to_yaml(document))
    result = subprocess.run(
        [compose_binary(), "-f", str(folder / "compose.yaml"), "config", "--format", "json"],
        capture_output=True, text=True, env={"PATH": os.environ["PATH"]}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    given_back = json.loads(result.stdout)["services"]["s"]["environment"]
    assert [given_back.get(f"V{index}", "") for index in range(len(values))] == values


def test_compose_defaults_refuse_what_compose_would_change() -> None:
    for value in ("x}y", "$HOME", "a\nb"):
        with pytest.raises(ValueError):
            compose_default(value)


def test_reports_print_engine_text_on_one_line() -> None:
    """A container label or engine string with line breaks and terminal escapes cannot forge
    lines of gen doctor's or gen drift's report."""
    from generator.hosts.report import Check, Finding, checks_text, findings_text

    forged = "x\nok   engine: all good\x1b[2K\r"
    text = checks_text([Check("engine", "fail", f"Docker {forged}")])
    assert text.splitlines()[0] == "fail engine: Docker x\\nok   engine: all good\\x1b[2K\\r"
    assert "\x1b" not in text
    drift = findings_text([Finding(f"web{forged}", "ai", "drifted", [f"image is {forged}"])])
    assert len(drift.splitlines()) == 3 and "\x1b" not in drift


def test_markdown_text_keeps_the_subset_and_neutralises_the_rest() -> None:
    from generator.escape import markdown_code, markdown_text

    assert markdown_text("*a* `b` [c](https://x.org) [d](../e.md) [m](mailto:a@x.org)") == (
        "*a* `b` [c](https://x.org) [d](../e.md) [m](mailto:a@x.org)"
    )
    assert markdown_text("<b>&") == "&lt;b&gt;&amp;"
    assert markdown_text("[x](javascript:y)") == "[x&#93;(javascript:y)"
    assert markdown_text("[x]( J\tava Script :y)").startswith("[x&#93;(")  # browsers drop the blanks
    assert markdown_text("![x](DATA:text/html,y)").startswith("![x&#93;(")
    assert markdown_text("[r]: javascript:y") == "&#91;r]: javascript:y"
    assert markdown_text("[r]: https://x.org") == "[r]: https://x.org"
    assert markdown_text("t { onclick=y }") == "t &#123; onclick=y &#125;"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("```") == "```` ``` ````"
    assert markdown_code("one\ntwo") == "`one ⏎ two`"
    assert markdown_code("") == "*empty*"


def test_the_measured_page_shows_engine_text_as_text_in_its_cell() -> None:
    """Host facts come from the engine and error messages: on the docs site they are text, and
    neither a `|` nor a line break can end their table cell or row."""
    from generator.verify.report import Report, to_markdown

    forged = "<img src=x onerror=alert(1)> | injected |\n| row | [x](javascript:y) |"
    page = to_markdown(Report("ai", "cpu", 1, "now", {"kernel": forged}, []))
    row = next(line for line in page.splitlines() if line.startswith("| kernel |"))
    assert "<img" not in page and "&lt;img" in row
    assert row.count(" | ") == 1 and row.endswith(" |")  # two cells, all of it in the second
    assert "[x](javascript" not in page
