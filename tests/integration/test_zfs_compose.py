"""End to end: datasets made by the generated ZFS script, a stack started on them with Compose."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from tests.conftest import MINIMAL
from tests.docker_env import compose, engine
from tests.integration.test_zfs_script import _build, _catalog_for, _fuse_friendly, _run
from tests.standins import build_standins, standin_images
from tests.zfs_env import pools, unique_name, zfs_available

pytestmark = [pytest.mark.docker, pytest.mark.zfs]


def test_a_file_written_in_the_container_lands_in_the_dataset(tmp_path: Path) -> None:
    zfs_available()
    client = engine()
    pool = unique_name("gentest")
    catalog_dir = _catalog_for(MINIMAL, tmp_path / "catalog", {"tank": pool})
    _fuse_friendly(catalog_dir)
    llm = catalog_dir / "services" / "llm.yaml"  # a healthcheck the stand-in image can answer
    llm.write_text(
        llm.read_text().replace("[CMD, llm, ping]", "[CMD, wget, -q, --spider, 'http://localhost:11434/']")
    )
    for service in (llm, catalog_dir / "services" / "web.yaml"):  # check often: a quicker test
        service.write_text(service.read_text().replace("healthcheck:\n", "healthcheck:\n  interval: 2s\n"))
    script = _build(catalog_dir, tmp_path / "dist")
    build_standins(client, standin_images(load_catalog(catalog_dir)))
    compose_file = tmp_path / "dist" / "stacks" / "ai" / "cpu" / "compose.yaml"
    with pools(tmp_path, [pool]) as roots:
        assert _run(script).returncode == 0
        env_file = tmp_path / "ai.env"
        env_file.write_text(f"ZFS_ALTROOT={roots[pool]}\nSECRET_KEY={'k' * 64}\nLLM_CPUS=1\n")
        try:
            compose("-f", str(compose_file), "up", "-d", "--wait", "--wait-timeout", "120", env_file=env_file)
            llm_container = client.containers.list(filters={"label": "ai-stack.service=llm"})[0]
            assert llm_container.exec_run(["sh", "-c", "echo weights > /models/model.bin"]).exit_code == 0
            web_container = client.containers.list(filters={"label": "ai-stack.service=web"})[0]
            assert (
                web_container.exec_run(["sh", "-c", "echo state > /data/app.db"], user="1000:1000").exit_code
                == 0
            )
        finally:
            compose("-f", str(compose_file), "down", "--timeout", "5", env_file=env_file)
        model = roots[pool] / "srv" / "models" / "model.bin"
        assert model.read_text() == "weights\n"
        mounts = Path("/proc/mounts").read_text().split("\n")
        assert any(
            line.split()[:3] == [f"{pool}/models", str(model.parent), "fuse.zfs"] for line in mounts if line
        )
        assert (roots[pool] / "srv" / "web" / "app.db").stat().st_uid == 1000
        used = subprocess.run(
            ["zfs", "get", "-H", "-p", "-o", "value", "referenced", f"{pool}/models"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert int(used) > 0
        assert os.path.ismount(model.parent)
