"""Addresses: subnets that do not overlap, static IPs that fit, host ports used once."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address

from generator.catalog.checks.context import Context
from generator.catalog.model import Network
from generator.diagnostics import Diagnostic

ALL_INTERFACES = "0.0.0.0"


def _reserved(network: Network, address: IPv4Address) -> str | None:
    """Why an address cannot be given to a container on this network, if it cannot."""
    if address not in network.subnet:
        return f"is outside the subnet {network.subnet} of network '{network.id}'"
    if address == network.subnet.network_address:
        return f"is the network address of {network.subnet}"
    if address == network.subnet.broadcast_address:
        return f"is the broadcast address of {network.subnet}"
    if address == network.gateway:
        return f"is the gateway of network '{network.id}'"
    return None


def check_subnets(context: Context) -> Iterator[Diagnostic]:
    networks = sorted(context.catalog.networks.values(), key=lambda n: n.subnet.network_address)
    for network in networks:
        declared = context.documents[("network", network.id)].data["subnet"]
        if str(network.subnet) != declared:
            message = f"'{declared}' has host bits set; the subnet is {network.subnet}"
            yield context.at("network", network.id, ["subnet"], message)
        gateway = network.gateway
        if gateway is not None and gateway not in network.subnet:
            message = f"gateway {gateway} is outside the subnet {network.subnet}"
            yield context.at("network", network.id, ["gateway"], message)
        elif gateway is not None and gateway in (
            network.subnet.network_address,
            network.subnet.broadcast_address,
        ):
            message = f"gateway {gateway} is the network or broadcast address of {network.subnet}"
            yield context.at("network", network.id, ["gateway"], message)
    # sorted by start address, a subnet overlaps an earlier one iff it starts before the furthest end
    widest: Network | None = None
    for network in networks:
        if widest is not None and network.subnet.network_address <= widest.subnet.broadcast_address:
            message = f"subnet {network.subnet} overlaps {widest.subnet} of network '{widest.id}'"
            yield context.at("network", network.id, ["subnet"], message)
        if widest is None or network.subnet.broadcast_address > widest.subnet.broadcast_address:
            widest = network


def check_static_addresses(context: Context) -> Iterator[Diagnostic]:
    taken: dict[tuple[str, IPv4Address], str] = {}
    for service in sorted(context.catalog.services.values(), key=lambda s: s.id):
        for attachment in service.networks:
            network = context.catalog.networks.get(attachment.network)
            if network is None:
                continue  # reported as an unknown reference
            parts = ["networks", attachment.network, "ipv4_address"]
            address = attachment.ipv4_address
            reason = _reserved(network, address)
            owner = taken.setdefault((network.id, address), service.id)
            if reason:
                yield context.at("service", service.id, parts, f"{address} {reason}")
            elif owner != service.id:
                message = f"{address} is already the address of '{owner}' on network '{network.id}'"
                yield context.at("service", service.id, parts, message)


def check_published_ports(context: Context) -> Iterator[Diagnostic]:
    """A host port may be published once per protocol; 0.0.0.0 clashes with every address."""
    published: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for service in sorted(context.catalog.services.values(), key=lambda s: s.id):
        for index, port in enumerate(service.ports):
            if port.host is None:
                continue
            host_ip = port.host_ip or ALL_INTERFACES
            holders = published.setdefault((port.protocol, port.host), [])
            for other_ip, other_service in holders:
                if ALL_INTERFACES in (host_ip, other_ip) or host_ip == other_ip:
                    taken = f"{port.host}/{port.protocol}"
                    message = f"host port {taken} is already published by '{other_service}' on {other_ip}"
                    yield context.at("service", service.id, ["ports", index, "host"], message)
                    break
            holders.append((host_ip, service.id))


def check_private_subnets(context: Context) -> Iterator[Diagnostic]:
    """Bridge networks must use private address space, or containers would shadow real hosts."""
    for network in context.catalog.networks.values():
        if network.type == "bridge" and not network.subnet.is_private:
            message = f"{network.subnet} is not private address space; use 10/8, 172.16/12 or 192.168/16"
            yield context.at("network", network.id, ["subnet"], message)


CHECKS = (check_subnets, check_static_addresses, check_published_ports, check_private_subnets)
