"""Networks: the catalog's bridge networks with their fixed subnet, gateway and static IPs.

A network two stacks share is declared identically, by name, in both compose files: whichever
stack comes up first creates it, the other joins it, and `down` of one stack leaves it in place
while the other still uses it (Compose reports "Resource is still in use").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.catalog.model import Catalog, Network, Service


def network_definition(network: Network) -> dict[str, Any]:
    """The top-level definition; identical in every compose file that uses the network."""
    ipam_config: dict[str, str] = {"subnet": str(network.subnet)}
    if network.gateway is not None:
        ipam_config["gateway"] = str(network.gateway)
    definition: dict[str, Any] = {"name": network.name, "driver": "bridge"}
    if network.internal:
        definition["internal"] = True
    definition["ipam"] = {"driver": "default", "config": [ipam_config]}
    return definition


def top_level_networks(catalog: Catalog, services: Iterable[Service]) -> dict[str, Any]:
    used = sorted({a.network for s in services for a in s.networks})
    return {network_id: network_definition(catalog.networks[network_id]) for network_id in used}


def service_networks(service: Service) -> dict[str, Any]:
    networks: dict[str, Any] = {}
    for attachment in service.networks:
        entry: dict[str, Any] = {"ipv4_address": str(attachment.ipv4_address)}
        if attachment.aliases:
            entry["aliases"] = list(attachment.aliases)
        networks[attachment.network] = entry
    return networks
