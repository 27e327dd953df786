"""Prometheus configuration and alert rules, checked and unit-tested by the real promtool."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.components import missing
from tests.conftest import DEFAULT_CATALOG, ROOT, run_gen

VARIANTS = ["cpu", "nvidia"]


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        missing("promtool (Debian package prometheus) is not installed")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)


def _folder(variant: str) -> Path:
    return ROOT / "dist" / "stacks" / "monitoring" / variant


def _config_for_host(variant: str, tmp_path: Path, name: str = "prometheus.yml") -> Path:
    """prometheus.yml (or the Swarm one) with its rule file at the path it has on this machine."""
    text = (_folder(variant) / name).read_text()
    config = tmp_path / name
    config.write_text(
        text.replace("/etc/prometheus/alert-rules.yml", str(_folder(variant) / "alert-rules.yml"))
    )
    return config


@pytest.mark.promtool
@pytest.mark.parametrize("variant", VARIANTS)
def test_promtool_checks_config_and_rules(variant: str, tmp_path: Path) -> None:
    config = _promtool("check", "config", str(_config_for_host(variant, tmp_path)))
    assert config.returncode == 0, config.stdout + config.stderr
    swarm = _promtool("check", "config", str(_config_for_host(variant, tmp_path, "swarm.prometheus.yml")))
    assert swarm.returncode == 0, swarm.stdout + swarm.stderr
    rules = _promtool("check", "rules", str(_folder(variant) / "alert-rules.yml"))
    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert "SUCCESS: 17 rules found" in rules.stdout


def test_scrape_jobs_follow_the_variant() -> None:
    yaml = YAML(typ="safe", pure=True)
    jobs = {
        v: [j["job_name"] for j in yaml.load((_folder(v) / "prometheus.yml").read_text())["scrape_configs"]]
        for v in VARIANTS
    }
    assert "nvidia-exporter" not in jobs["cpu"]
    assert "nvidia-exporter" in jobs["nvidia"]
    assert {"cadvisor", "node-exporter", "portainer-probe", "prometheus", "portainer"} <= set(jobs["cpu"])


def _case(
    alert: str, series: list[tuple[str, str]], expected: list[dict[str, Any]], at: str = "15m"
) -> dict[str, Any]:
    return {
        "interval": "1m",
        "input_series": [{"series": s, "values": v} for s, v in series],
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}],
    }


def _alert(labels: dict[str, str], summary: str, description: str) -> dict[str, Any]:
    return {"exp_labels": labels, "exp_annotations": {"summary": summary, "description": description}}


FS = 'fstype="ext4"'
SCRAPED = {"stack": "monitoring", "service": "cadvisor"}  # the scrape target's labels
OLLAMA_LABELS = {
    "name": "ollama",
    "container_label_ai_stack_stack": "ai",
    "container_label_ai_stack_service": "ollama",
}


def _series_labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in {**labels}.items()) + "}"


OLLAMA = _series_labels({**SCRAPED, **OLLAMA_LABELS})
WEBUI = _series_labels(
    {**SCRAPED, "name": "open-webui", "container_label_ai_stack_stack": "ai",
     "container_label_ai_stack_service": "open-webui"}
)  # fmt: skip
FOREIGN = _series_labels({**SCRAPED, "name": "other"})  # a container gen did not start
ZFS = 'fstype="zfs"'
# Each case: a series that must fire and one that must not, with the thresholds of catalog/alerts.yaml.
CASES = [
    _case(  # a container alert is the container's stack's and service's, not cAdvisor's
        "ContainerMemoryNearLimit",
        [
            (f"container_memory_working_set_bytes{OLLAMA}", "95x20"),
            (f"container_spec_memory_limit_bytes{OLLAMA}", "100x20"),
            (f"container_memory_working_set_bytes{WEBUI}", "50x20"),
            (f"container_spec_memory_limit_bytes{WEBUI}", "100x20"),
            (f"container_memory_working_set_bytes{FOREIGN}", "99x20"),
            (f"container_spec_memory_limit_bytes{FOREIGN}", "100x20"),
        ],
        [
            _alert(
                {"severity": "warning", **OLLAMA_LABELS, "stack": "ai", "service": "ollama"},
                "Container ollama is near its memory limit",
                "It uses 95% of its memory limit (threshold 90%).",
            ),
            _alert(
                {"severity": "warning", "name": "other", **SCRAPED},
                "Container other is near its memory limit",
                "It uses 99% of its memory limit (threshold 90%).",
            ),
        ],
    ),
    _case(
        "ContainerCpuNearLimit",
        [
            (f"container_cpu_usage_seconds_total{OLLAMA}", "0+57x20"),
            (f"container_spec_cpu_quota{OLLAMA}", "100000x20"),
            (f"container_spec_cpu_period{OLLAMA}", "100000x20"),
            (f"container_cpu_usage_seconds_total{WEBUI}", "0+30x20"),
            (f"container_spec_cpu_quota{WEBUI}", "100000x20"),
            (f"container_spec_cpu_period{WEBUI}", "100000x20"),
        ],
        [
            _alert(
                {"severity": "warning", **OLLAMA_LABELS, "stack": "ai", "service": "ollama"},
                "Container ollama is near its CPU limit",
                "It uses 95% of its CPU limit (threshold 90%).",
            )
        ],
    ),
    _case(
        "HostDiskFillingWarning",
        [
            (f'node_filesystem_avail_bytes{{mountpoint="/",{FS}}}', "15x20"),
            (f'node_filesystem_size_bytes{{mountpoint="/",{FS}}}', "100x20"),
            (f'node_filesystem_avail_bytes{{mountpoint="/srv",{FS}}}', "50x20"),
            (f'node_filesystem_size_bytes{{mountpoint="/srv",{FS}}}', "100x20"),
        ],
        [
            _alert(
                {"severity": "warning", "mountpoint": "/", "fstype": "ext4"},
                "Filesystem / is 85% full",
                "Above the warning level of 80% on .",
            )
        ],
    ),
    _case(
        "HostDiskFillingCritical",
        [
            (f'node_filesystem_avail_bytes{{mountpoint="/",{FS}}}', "5x20"),
            (f'node_filesystem_size_bytes{{mountpoint="/",{FS}}}', "100x20"),
            (f'node_filesystem_avail_bytes{{mountpoint="/srv",{FS}}}', "15x20"),
            (f'node_filesystem_size_bytes{{mountpoint="/srv",{FS}}}', "100x20"),
        ],
        [
            _alert(
                {"severity": "critical", "mountpoint": "/", "fstype": "ext4"},
                "Filesystem / is 95% full",
                "Above the critical level of 90% on .",
            )
        ],
    ),
    _case(
        "HostDiskFillingWarning",  # ZFS datasets have their own alert, not this one
        [
            ('node_filesystem_avail_bytes{mountpoint="/srv/ai/models",fstype="zfs"}', "5x20"),
            ('node_filesystem_size_bytes{mountpoint="/srv/ai/models",fstype="zfs"}', "100x20"),
        ],
        [],
    ),
    _case(
        "ZfsDatasetFillingWarning",
        [
            (f'node_filesystem_avail_bytes{{device="service-pool/ai-models",{ZFS}}}', "15x20"),
            (f'node_filesystem_size_bytes{{device="service-pool/ai-models",{ZFS}}}', "100x20"),
            (f'node_filesystem_avail_bytes{{device="media-pool/ai-datasets",{ZFS}}}', "60x20"),
            (f'node_filesystem_size_bytes{{device="media-pool/ai-datasets",{ZFS}}}', "100x20"),
            (f'node_filesystem_avail_bytes{{mountpoint="/",{FS}}}', "5x20"),
            (f'node_filesystem_size_bytes{{mountpoint="/",{FS}}}', "100x20"),
        ],
        [
            _alert(
                {"severity": "warning", "device": "service-pool/ai-models", "fstype": "zfs"},
                "ZFS dataset service-pool/ai-models is 85% full",
                "Above the warning level of 80% of its quota or of what its pool can still give it; "
                "ZFS slows down when a pool fills.",
            )
        ],
    ),
    _case(
        "ZfsDatasetFillingCritical",
        [
            (f'node_filesystem_avail_bytes{{device="service-pool/ai-models",{ZFS}}}', "8x20"),
            (f'node_filesystem_size_bytes{{device="service-pool/ai-models",{ZFS}}}', "100x20"),
            (f'node_filesystem_avail_bytes{{device="media-pool/ai-datasets",{ZFS}}}', "15x20"),
            (f'node_filesystem_size_bytes{{device="media-pool/ai-datasets",{ZFS}}}', "100x20"),
        ],
        [
            _alert(
                {"severity": "critical", "device": "service-pool/ai-models", "fstype": "zfs"},
                "ZFS dataset service-pool/ai-models is 92% full",
                "Above the critical level of 90% of its quota or of what its pool can still give it; "
                "ZFS slows down when a pool fills.",
            )
        ],
    ),
    _case(
        "ZfsPoolNotOnline",  # node_exporter's zfs collector: one series per pool and state
        [
            ('node_zfs_zpool_state{zpool="media-pool",state="online"}', "0x20"),
            ('node_zfs_zpool_state{zpool="media-pool",state="degraded"}', "1x20"),
            ('node_zfs_zpool_state{zpool="service-pool",state="online"}', "1x20"),
            ('node_zfs_zpool_state{zpool="service-pool",state="degraded"}', "0x20"),
        ],
        [
            _alert(
                {"severity": "critical", "zpool": "media-pool", "state": "degraded"},
                "ZFS pool media-pool is degraded",
                "The pool is not ONLINE; run `zpool status media-pool` on .",
            )
        ],
    ),
    _case(
        "GpuTemperatureHigh",
        [
            ('nvidia_smi_temperature_gpu{uuid="GPU-a"}', "90x20"),
            ('nvidia_smi_temperature_gpu{uuid="GPU-b"}', "70x20"),
        ],
        [
            _alert(
                {"severity": "warning", "uuid": "GPU-a"},
                "GPU GPU-a is at 90 °C",
                "Above 85 °C; check cooling and airflow.",
            )
        ],
    ),
    _case(
        "GpuMemoryFull",
        [
            ('nvidia_smi_memory_used_bytes{uuid="GPU-a"}', "97x20"),
            ('nvidia_smi_memory_total_bytes{uuid="GPU-a"}', "100x20"),
            ('nvidia_smi_memory_used_bytes{uuid="GPU-b"}', "50x20"),
            ('nvidia_smi_memory_total_bytes{uuid="GPU-b"}', "100x20"),
        ],
        [
            _alert(
                {"severity": "info", "uuid": "GPU-a"},
                "GPU GPU-a memory is 97% used",
                "Informational: Ollama keeps models loaded in GPU memory on purpose.",
            )
        ],
    ),
    _case(
        "ExporterDown",
        [
            ('up{job="cadvisor",instance="172.21.0.11:8080"}', "0x20"),
            ('up{job="node-exporter",instance="172.21.0.14:9100"}', "1x20"),
            ('up{job="portainer",instance="http://172.22.0.10:9000/api/system/status"}', "0x20"),
        ],
        [
            _alert(
                {"severity": "warning", "job": "cadvisor", "instance": "172.21.0.11:8080"},
                "Target cadvisor (172.21.0.11:8080) is down",
                "Prometheus cannot scrape it.",
            )
        ],
    ),
    _case(
        "PortainerDown",
        [
            ('probe_success{job="portainer",instance="http://172.22.0.10:9000/api/system/status"}', "0x20"),
            ('up{job="portainer",instance="http://172.22.0.10:9000/api/system/status"}', "1x20"),
            ('probe_success{job="other",instance="x"}', "0x20"),
        ],
        [
            _alert(
                {
                    "severity": "critical",
                    "job": "portainer",
                    "instance": "http://172.22.0.10:9000/api/system/status",
                },
                "Portainer CE is down",
                "The portainer-probe check of Portainer CE fails.",
            )
        ],
    ),
    _case(
        "PortainerDown",
        [
            ('probe_success{job="portainer",instance="p"}', "1x20"),
            ('up{job="portainer",instance="p"}', "1x20"),
        ],
        [],
    ),
    *[
        _case(
            alert,
            [
                (f'probe_success{{job="{job}",instance="http://172.22.0.5:9180/{job}"}}', "0x20"),
                (f'up{{job="{job}",instance="http://172.22.0.5:9180/{job}"}}', "1x20"),
            ],
            [
                _alert(
                    {"severity": "critical", "job": job, "instance": f"http://172.22.0.5:9180/{job}"},
                    f"{title} is down",
                    f"The portainer-probe check of {title} fails through the reverse proxy "
                    "(or the proxy is down).",
                )
            ],
        )
        for alert, job, title in (
            ("OllamaDown", "ollama", "Ollama"),
            ("OpenWebuiDown", "open-webui", "Open WebUI"),
            ("ContinueDevDown", "continue-dev", "continue-dev (code-server with Continue)"),
        )
    ],
    _case(
        "ProbeSlow",
        [
            (
                'probe_duration_seconds{job="open-webui",service="open-webui",stack="ai",instance="o"}',
                "3.5x20",
            ),
            ('probe_duration_seconds{job="ollama",service="ollama",stack="ai",instance="l"}', "0.2x20"),
            ('probe_duration_seconds{job="other",service="other",stack="x",instance="x"}', "9x20"),
        ],
        [
            _alert(
                {
                    "severity": "warning",
                    "job": "open-webui",
                    "service": "open-webui",
                    "stack": "ai",
                    "instance": "o",
                },
                "open-webui answers its check slowly",
                "The check took 3.5 s (more than 2 s).",
            )
        ],
    ),
    _case(
        "BaselineMissed",
        [
            (
                'ai_stack_baseline_passed{baseline="container_start",measured_stack="ai",variant="cpu"}',
                "0x20",
            ),
            ('ai_stack_baseline_passed{baseline="network_attach",measured_stack="ai",variant="cpu"}', "1x20"),
        ],
        [
            _alert(
                {
                    "severity": "warning",
                    "baseline": "container_start",
                    "measured_stack": "ai",
                    "variant": "cpu",
                },
                "container_start of stack ai missed its target",
                "`gen verify` measured it above its target; run it again, or see what changed on this host.",
            )
        ],
    ),
    _case(
        "NotificationsFailing",
        [
            ('alertmanager_notifications_failed_total{integration="webhook"}', "0+1x40"),
            ('alertmanager_notifications_failed_total{integration="email"}', "0x40"),
        ],
        [
            _alert(
                {"severity": "critical", "integration": "webhook"},
                "Alertmanager cannot deliver notifications through webhook",
                "Its notifications fail: check the receiver in alerts.yaml and the secrets in the monitoring "
                "stack's env file; the Alertmanager log says why.",
            )
        ],
        at="35m",
    ),
]


def test_every_alert_has_a_unit_test() -> None:
    rules = YAML(typ="safe", pure=True).load((_folder("nvidia") / "alert-rules.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tested = {case["alert_rule_test"][0]["alertname"] for case in CASES}
    assert names == tested


@pytest.mark.promtool
def test_promtool_unit_tests_of_every_alert(tmp_path: Path) -> None:
    document = {
        "rule_files": [str(_folder("nvidia") / "alert-rules.yml")],
        "evaluation_interval": "1m",
        "tests": CASES,
    }
    tests_file = tmp_path / "alert-tests.yml"
    with tests_file.open("w") as stream:
        YAML(typ="safe", pure=True).dump(document, stream)
    result = _promtool("test", "rules", str(tests_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.promtool
def test_node_exporter_serves_the_baselines_gen_verify_writes(tmp_path: Path) -> None:
    """`gen verify --textfile` writes for node_exporter's textfile collector: the real
    node_exporter (Debian's) serves every measured baseline, and none that was skipped, and with
    --model the model's load time and generation speed (a model name with a quote, escaped)."""
    import socket
    import time
    import urllib.request

    from generator.verify.baselines import Measurement, ModelSpeed
    from generator.verify.report import Report, write_textfile

    binary = shutil.which("prometheus-node-exporter")
    if binary is None:
        missing("node_exporter (Debian package prometheus-node-exporter) is not installed")
    report = Report(
        "ai", "cpu", 3, "now", {},
        [
            Measurement("container_start", "Stack start", 30.0, "passed", [11.0, 12.5, 12.0]),
            Measurement("zfs_dataset", "ZFS dataset", 5.0, "failed", [6.0, 7.5, 8.0]),
            Measurement("gpu_init", "GPU", 10.0, "skipped", [], "no GPU"),
        ],
        ModelSpeed('odd"name:1b', [4.0, 5.0, 6.5], [40.0, 42.5, 41.0]),
    )  # fmt: skip
    written = write_textfile(report, tmp_path / "textfile", 1_765_000_000.0)
    assert oct(written.stat().st_mode & 0o777) == "0o644"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        binary, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
        "--collector.textfile", f"--collector.textfile.directory={tmp_path / 'textfile'}",
    ]  # fmt: skip
    exporter = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        metrics = ""
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
                    metrics = answer.read().decode()
                break
            except OSError:
                time.sleep(0.2)
    finally:
        exporter.terminate()
        exporter.wait(timeout=10)
    labels = 'baseline="container_start",measured_stack="ai",variant="cpu"'
    assert f"ai_stack_baseline_seconds{{{labels}}} 12" in metrics
    assert f"ai_stack_baseline_target_seconds{{{labels}}} 30" in metrics
    assert f"ai_stack_baseline_passed{{{labels}}} 1" in metrics
    assert 'ai_stack_baseline_passed{baseline="zfs_dataset",measured_stack="ai",variant="cpu"} 0' in metrics
    assert "gpu_init" not in metrics  # skipped: no made-up value
    model = 'measured_stack="ai",model="odd\\"name:1b",variant="cpu"'  # node_exporter sorts the labels
    assert f"ai_stack_model_load_seconds{{{model}}} 5" in metrics, metrics
    assert f"ai_stack_model_tokens_per_second{{{model}}} 41" in metrics
    assert "node_textfile_scrape_error 0" in metrics


def test_a_probe_through_the_proxy_needs_its_probe_port(catalog_copy: Callable[..., Path]) -> None:
    catalog = catalog_copy(DEFAULT_CATALOG)
    caddy = catalog / "services" / "caddy.yaml"
    text = caddy.read_text()
    start = text.index("  - name: probes")
    caddy.write_text(text[:start] + text[text.index("networks:", start) :])
    result = run_gen("validate", "--catalog", str(catalog))
    assert result.exit_code == 1
    for service in ("continue-dev", "ollama", "open-webui"):
        assert (
            f"catalog/services/{service}.yaml" in result.stderr
            and "probe.through: the proxy 'caddy' has no port named 'probes' to take the checks"
            in result.stderr
        ), result.stderr
