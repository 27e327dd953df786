"""An alert from the exporter to a person, end to end, with the REAL programs: Debian bookworm's
Prometheus 2.42, Alertmanager 0.25 and node_exporter 1.5, run on this host with the generated
alert rules and alertmanager.yml (the prometheus.yml's jobs and Alertmanager's address pointed at
the ports they listen on here), and then as deployed: the generated monitoring stack on the
suite's engine. The receiver is a small webhook server of the test.

The exporter is stopped: ExporterDown fires and the webhook gets it, with the stack and service
labels; the exporter comes back: the resolved notification arrives; a silence of the service:
the next firing reaches nobody."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from ruamel.yaml import YAML

from tests.components import program
from tests.conftest import DEFAULT_CATALOG, run_gen

pytestmark = [pytest.mark.promtool, pytest.mark.alertmanager]

TIMING = """scrape_interval: 1s
evaluation_interval: 1s
target_down_for: 3s
notify:
  receivers:
    - id: test-hook
      webhook: {url: http://127.0.0.1:HOOK/alerts}
  default_receiver: test-hook
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def _running(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait(check: Callable[[], bool], seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs)
    raise AssertionError(f"{what}: not within {seconds} s\n{tails}")


def _exporter(port: int, log: Path) -> Any:
    binary = program("prometheus-node-exporter", "prometheus-node-exporter")
    return _running([binary, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults"], log)


def _notifications(status: str) -> list[dict[str, Any]]:
    return [
        alert
        for message in _Hook.received
        for alert in message["alerts"]
        if alert["labels"].get("alertname") == "ExporterDown" and alert["status"] == status
    ]


def test_an_alert_reaches_the_receiver_is_resolved_and_a_silence_holds_it(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    _Hook.received = []
    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    alerts = catalog_dir / "alerts.yaml"
    thresholds = alerts.read_text().split("notify:", 1)[0]
    for key in ("scrape_interval", "evaluation_interval", "target_down_for"):
        thresholds = "\n".join(line for line in thresholds.splitlines() if not line.startswith(key)) + "\n"
    alerts.write_text(thresholds + TIMING.replace("HOOK", str(hook.server_address[1])))
    built = run_gen("build", "--catalog", str(catalog_dir), "--out", str(tmp_path / "dist"))
    assert built.exit_code == 0, built.stderr
    folder = tmp_path / "dist" / "stacks" / "monitoring" / "cpu"

    exporter_port, manager_port, prometheus_port = _free_port(), _free_port(), _free_port()
    yaml = YAML(typ="safe", pure=True)
    config = yaml.load((folder / "prometheus.yml").read_text())
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "node-exporter"]
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{exporter_port}"]  # its labels stay
    config["scrape_configs"] = [job]
    config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [f"127.0.0.1:{manager_port}"]
    config["rule_files"] = [str(folder / "alert-rules.yml")]
    with (tmp_path / "prometheus.yml").open("w") as stream:
        yaml.dump(config, stream)

    logs = [tmp_path / name for name in ("exporter.log", "alertmanager.log", "prometheus.log")]
    alertmanager = [
        program("prometheus-alertmanager", "prometheus-alertmanager"),
        f"--config.file={folder / 'alertmanager.yml'}",  # as generated
        f"--storage.path={tmp_path / 'alertmanager'}",
        f"--web.listen-address=127.0.0.1:{manager_port}",
        "--cluster.listen-address=",
    ]
    prometheus = [
        program("prometheus", "prometheus"),
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'prometheus'}",
        f"--web.listen-address=127.0.0.1:{prometheus_port}",
    ]
    try:
        with _running(alertmanager, logs[1]), _running(prometheus, logs[2]):
            with _exporter(exporter_port, logs[0]):
                _wait(lambda: _up(prometheus_port) == 1.0, 60, "node_exporter scraped", logs)
            # stopped: ExporterDown fires once `for` has passed, and reaches the webhook
            _wait(lambda: bool(_notifications("firing")), 90, "the firing notification", logs)
            firing = _notifications("firing")[0]
            assert firing["labels"]["stack"] == "monitoring"
            assert firing["labels"]["service"] == "node-exporter"
            assert firing["labels"]["severity"] == "warning"
            with _exporter(exporter_port, logs[0]):
                _wait(lambda: bool(_notifications("resolved")), 90, "the resolved notification", logs)
                _silence("127.0.0.1", manager_port, "service", "node-exporter")
                _wait(lambda: _up(prometheus_port) == 1.0, 60, "node_exporter scraped again", logs)
            heard = len(_Hook.received)
            # stopped again, silenced: Alertmanager has the alert, and tells nobody
            _wait(
                lambda: _suppressed("127.0.0.1", manager_port),
                90,
                "the alert, silenced, in Alertmanager",
                logs,
            )
            time.sleep(6)  # three group intervals: a notification would have been sent by now
            assert len(_Hook.received) == heard, _Hook.received[heard:]
    finally:
        hook.shutdown()


def _up(port: int) -> float | None:
    url = f"http://127.0.0.1:{port}/api/v1/query?query=up"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            result = json.load(answer)["data"]["result"]
    except OSError:
        return None
    return float(result[0]["value"][1]) if result else None


def _silence(host: str, port: int, label: str, value: str) -> None:
    now = time.time()
    silence = {
        "matchers": [{"name": label, "value": value, "isRegex": False}],
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
        "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
        "createdBy": "the test",
        "comment": "maintenance",
    }
    request = urllib.request.Request(
        f"http://{host}:{port}/api/v2/silences",
        data=json.dumps(silence).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def _suppressed(host: str, port: int) -> bool:
    url = f"http://{host}:{port}/api/v2/alerts?silenced=true&active=true&inhibited=true"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            alerts = json.load(answer)
    except OSError:
        return False
    return any(
        a["labels"].get("alertname") == "ExporterDown" and a["status"]["state"] == "suppressed"
        for a in alerts
    )


@pytest.mark.docker
def test_on_the_engine_the_generated_monitoring_stack_tells_the_receiver(
    catalog_copy: Callable[..., Path], tmp_path: Path
) -> None:
    """The same, as deployed: the monitoring stack's compose file (the real Prometheus,
    Alertmanager and node_exporter in their images) on the suite's engine, the webhook on this
    host, reached through the monitoring network's gateway. node-exporter's container stops:
    ExporterDown reaches the webhook; it starts again: resolved; silenced and stopped again:
    Alertmanager holds the alert and tells nobody."""
    from generator.catalog import load_catalog
    from tests.docker_env import compose, engine, prepared_host

    catalog_dir = catalog_copy(DEFAULT_CATALOG)
    network = load_catalog(catalog_dir).networks["monitoring"]
    # on every address: the monitoring network (and its gateway address) is made by the deploy
    hook = ThreadingHTTPServer(("0.0.0.0", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    _Hook.received = []
    alerts = catalog_dir / "alerts.yaml"
    thresholds = alerts.read_text().split("notify:", 1)[0]
    for key in ("scrape_interval", "evaluation_interval", "target_down_for"):
        thresholds = "\n".join(line for line in thresholds.splitlines() if not line.startswith(key)) + "\n"
    timing = TIMING.replace("127.0.0.1:HOOK", f"{network.gateway}:{hook.server_address[1]}")
    alerts.write_text(thresholds + timing)
    out = tmp_path / "dist"
    built = run_gen("build", "--catalog", str(catalog_dir), "--out", str(out))
    assert built.exit_code == 0, built.stderr
    catalog = load_catalog(catalog_dir)
    client = engine()
    env_files = prepared_host(client, catalog, tmp_path)
    file = str(out / "stacks" / "monitoring" / "cpu" / "compose.yaml")
    manager = next(str(a.ipv4_address) for a in catalog.services["alertmanager"].networks)
    logs: list[Path] = []  # the containers keep their logs: docker logs, while it waits

    def exporter_down(status: str) -> list[dict[str, Any]]:
        return [a for a in _notifications(status) if a["labels"].get("job") == "node-exporter"]

    try:
        compose("-f", file, "up", "-d", "--wait", "--wait-timeout", "180", env_file=env_files["monitoring"])
        node = client.containers.list(filters={"label": "ai-stack.service=node-exporter"})[0]
        time.sleep(3)  # a few scrapes while it is up
        node.stop(timeout=5)
        _wait(lambda: bool(exporter_down("firing")), 120, "the firing notification", logs)
        firing = exporter_down("firing")[0]
        assert (firing["labels"]["stack"], firing["labels"]["severity"]) == ("monitoring", "warning")
        node.start()
        _wait(lambda: bool(exporter_down("resolved")), 120, "the resolved notification", logs)
        _silence(manager, 9093, "service", "node-exporter")
        heard = len(exporter_down("firing"))
        node.stop(timeout=5)
        _wait(lambda: _suppressed(manager, 9093), 120, "the alert, silenced, in Alertmanager", logs)
        time.sleep(6)  # three group intervals: a notification would have been sent by now
        assert len(exporter_down("firing")) == heard
    finally:
        hook.shutdown()
        compose("-f", file, "down", "--timeout", "5", env_file=env_files["monitoring"], check=False)
