"""alertmanager.yml: checked by the real amtool (Debian's Alertmanager 0.25, the oldest the file
is written for), its routes resolved by amtool as Alertmanager resolves them."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.plan import plan
from generator.render.configs import generated_text
from tests.components import program
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen

pytestmark = pytest.mark.alertmanager

NOTIFY = """notify:
  receivers:
    - id: phone
      ntfy: {url: https://ntfy.example.org/homelab, token_variable: ALERTMANAGER_NTFY_TOKEN}
    - id: mail
      send_resolved: false
      email:
        to: admin@example.org
        from: alertmanager@example.org
        smarthost: smtp.example.org:587
        username: alertmanager@example.org
        password_variable: ALERTMANAGER_SMTP_PASSWORD
    - id: automation
      webhook: {url: http://192.168.1.20:8123/api/webhook/alerts}
  default_receiver: phone
  routes:
    - receiver: mail
      severity: [critical]
      continue: true
    - receiver: automation
      stacks: [ai]
  repeat_interval: 12h
"""


def _amtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [program("amtool", "prometheus-alertmanager"), *args], capture_output=True, text=True, timeout=60
    )


def _with_notify(catalog_dir: Path) -> Path:
    """The catalog with every kind of receiver and routes by severity and by stack; its built
    alertmanager.yml."""
    alerts = catalog_dir / "alerts.yaml"
    alerts.write_text(alerts.read_text().split("notify:", 1)[0] + NOTIFY)
    catalog = load_catalog(catalog_dir)
    deployment = plan(catalog).variant(catalog.stacks["monitoring"], "cpu")
    (file,) = [f for f in deployment.generated if f.name == "alertmanager.yml"]
    config = catalog_dir.parent / "alertmanager.yml"
    config.write_text(generated_text(deployment, file))
    return config


@pytest.mark.parametrize("variant", ["cpu", "nvidia"])
def test_amtool_accepts_the_built_configuration(variant: str) -> None:
    result = _amtool(
        "check-config", str(ROOT / "dist" / "stacks" / "monitoring" / variant / "alertmanager.yml")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_receiver_and_route_is_one_amtool_accepts_and_resolves(
    catalog_copy: Callable[..., Path],
) -> None:
    config = _with_notify(catalog_copy(DEFAULT_CATALOG))
    text = config.read_text()
    assert "ALERTMANAGER_SMTP_PASSWORD" in text and "secret" not in text.replace("/tmp/secrets/", "")
    checked = _amtool("check-config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 receivers" in checked.stdout
    expected = {
        ("severity=critical", "stack=ai"): "mail,automation",
        ("severity=critical", "stack=monitoring"): "mail",  # a route took it: not the default
        ("severity=warning", "stack=ai"): "automation",
        ("severity=warning", "stack=monitoring"): "phone",
    }
    for labels, receivers in expected.items():
        routed = _amtool(
            "config", "routes", "test", f"--config.file={config}", f"--verify.receivers={receivers}", *labels
        )
        assert routed.returncode == 0, f"{labels}: {routed.stdout}{routed.stderr}"


def test_amtool_refuses_a_receiver_field_alertmanager_cannot_use(catalog_copy: Callable[..., Path]) -> None:
    """The check above can fail: the same file with one receiver field made invalid is refused."""
    config = _with_notify(catalog_copy(DEFAULT_CATALOG))
    broken = re.sub(r"smarthost: .*", "smarthost: smtp.example.org", config.read_text())  # no port
    config.write_text(broken)
    refused = _amtool("check-config", str(config))
    assert refused.returncode == 1 and "FAILED" in refused.stdout, refused.stdout + refused.stderr


def test_a_route_to_an_unknown_receiver_is_a_located_error(catalog_copy: Callable[..., Path]) -> None:
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    _with_notify(catalog_dir)
    alerts = catalog_dir / "alerts.yaml"
    alerts.write_text(alerts.read_text().replace("- receiver: automation", "- receiver: automaton"))
    result = run_gen("validate", "--catalog", str(catalog_dir))
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(alerts.read_text().splitlines(), 1) if "automaton" in text)
    assert f"catalog/alerts.yaml:{line}:" in result.stderr
    assert "unknown receiver 'automaton'; receivers: phone, mail, automation" in result.stderr
