"""Which address a request came from, believing `X-Forwarded-For` only from configured proxies.

Anyone can send `X-Forwarded-For`; if it were believed, a client could rotate it to look like a
new address on every attempt and never meet the login limit. So the header counts only when the
TCP peer is in `[api] trusted_proxies` (addresses or networks, default none); then the hops are
read right to left, skipping trusted proxies, and the first untrusted one is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_HOPS = 20  # a longer chain is not a proxy set-up, it is a header stuffed to waste our time


def parse_networks(values: Iterable[object], where: str = "trusted_proxies") -> tuple[Network, ...]:
    """`["10.0.0.5", "172.16.0.0/12", "::1"]` → networks; ValueError (Chinese) for anything else."""
    nets = []
    for value in values:
        try:
            if not isinstance(value, str):
                raise ValueError
            nets.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{where} 中的“{value}”不是 IP 地址或网段（例如 127.0.0.1 或 10.0.0.0/8）") from None
    return tuple(nets)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: object, nets: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in nets)  # type: ignore[operator]


def client_address(peer: str, forwarded_for: list[str], nets: tuple[Network, ...]) -> str:
    """The client's address: `peer`, or from `X-Forwarded-For` when `peer` is a trusted proxy."""
    if not nets or not _trusted(_address(peer), nets):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()][-MAX_HOPS:]
    for hop in reversed(hops):
        address = _address(hop)
        if not _trusted(address, nets):
            return str(address) if address is not None else hop[:64]
    return str(_address(hops[0]) or hops[0][:64]) if hops else peer
