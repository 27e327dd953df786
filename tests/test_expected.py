"""What a plan entry means on one host: its references read with the env file, as Compose reads them."""

from __future__ import annotations

from generator.catalog import load_catalog
from generator.hosts.expected import binds, interpolated, limits
from generator.plan import plan
from tests.conftest import DEFAULT_CATALOG


def test_references_read_as_compose_reads_them() -> None:
    settings = {"SET": "value", "EMPTY": ""}
    assert interpolated("${SET:-default}", settings) == "value"
    assert interpolated("${EMPTY:-default}", settings) == "default"  # empty is the default too
    assert interpolated("${UNSET:-default}", settings) == "default"
    assert interpolated("${SET:?must be set}/${UNSET:?must be set}", settings) == "value/"
    assert interpolated("$${SET} costs $$5", settings) == "${SET} costs $5"  # $$ is a literal $


def test_an_entry_read_with_the_env_file_gives_the_hosts_limits_and_binds() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    entry = plan(catalog).variant(catalog.stacks["ai"], "cpu").compose_services["ollama"]
    ollama = catalog.services["ollama"]
    assert limits(entry, {}) == (f"{ollama.limits.cpus:g}", ollama.limits.memory)
    assert limits(entry, {"OLLAMA_CPUS": "2", "OLLAMA_MEMORY": "4g"}) == ("2", "4g")
    models = next(target for target in binds(entry, {}) if "models" in target or ".ollama" in target)
    source, writable = binds(entry, {"ZFS_ALTROOT": "/mnt/alt"})[models]
    assert source.startswith("/mnt/alt/") and source == "/mnt/alt" + binds(entry, {})[models][0]
    assert writable
