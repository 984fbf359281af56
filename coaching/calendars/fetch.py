"""Fetching a calendar subscription over HTTP(S), guarded.

- only ``http``, ``https`` (and ``webcal``, read as ``https``) addresses;
- every address the host name resolves to must be public (no loopback, private, link-local,
  shared, reserved, multicast or unspecified address, IPv4 or IPv6, nor an IPv4-mapped one)
  unless the caller allows private addresses (``CALENDAR_ALLOW_PRIVATE_ADDRESSES``, for tests);
- the connection goes to the address that was checked (no second DNS answer in between);
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each new address checked again;
- a timeout per socket operation and a deadline for the whole fetch, and a size limit.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

MAX_REDIRECTS = 5
AddressCheck = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]


class FetchRefused(Exception):
    """The address may not be fetched, or the answer was not a usable calendar; safe to show."""


def public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def any_address(_ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return True


def address_check(allow_private: bool) -> AddressCheck:
    return any_address if allow_private else public_address


def normalise_url(url: str) -> str:
    """``webcal://`` as ``https://``; raise ``FetchRefused`` for any other scheme or no host."""
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise FetchRefused("That is not a web address.") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("The address must start with https:// (or http:// or webcal://).")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise FetchRefused("That is not a web address.")
    return url


def resolve_checked(host: str, port: int, allowed: AddressCheck) -> str:
    """The first address ``host`` resolves to, if every one of them is allowed; else ``FetchRefused``."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused("That server's name could not be found.") from exc
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not allowed(ip):
            raise FetchRefused("That address points inside a private network, which is not allowed.")
        addresses.append(str(ip))
    if not addresses:
        raise FetchRefused("That server's name could not be found.")
    return addresses[0]


def check_url(url: str, allowed: AddressCheck) -> str:
    """Normalise ``url`` and check where its host resolves to; the normalised URL."""
    url = normalise_url(url)
    parts = urlsplit(url)
    resolve_checked(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), allowed)
    return url


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate for the host name."""

    def __init__(self, host: str, address: str, **kwargs: object) -> None:
        super().__init__(host, **kwargs)  # type: ignore[arg-type]
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs: object) -> None:
        super().__init__(host, **kwargs)  # type: ignore[arg-type]
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def fetch(url: str, *, allowed: AddressCheck, timeout: float = 10.0, max_bytes: int = 5 * 1024 * 1024,
          user_agent: str = "Tandem calendar subscription") -> bytes:
    """The body of ``url`` (a 200 answer after at most ``MAX_REDIRECTS`` redirects); ``FetchRefused``
    for a refused address, an error status, a timeout, a connection failure or a body too large."""
    deadline = time.monotonic() + timeout
    url = normalise_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        address = resolve_checked(host, port, allowed)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused("The calendar took too long to answer.")
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
                host, address, port=port, timeout=left, context=ssl.create_default_context())
        else:
            conn = _PinnedHTTPConnection(host, address, port=port, timeout=left)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("GET", path, headers={"User-Agent": user_agent, "Accept": "text/calendar, */*",
                                               "Host": parts.netloc.rsplit("@", 1)[-1]})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchRefused(f"The calendar server answered {response.status} without a new address.")
                url = normalise_url(urljoin(url, location))
                continue
            if response.status != 200:
                raise FetchRefused(f"The calendar server answered {response.status}.")
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise FetchRefused("The calendar is larger than Tandem accepts.")
            chunks, size = [], 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchRefused("The calendar took too long to answer.")
                chunk = response.read(64 * 1024)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused("The calendar is larger than Tandem accepts.")
                chunks.append(chunk)
            return b"".join(chunks)
        except (OSError, http.client.HTTPException) as exc:
            if isinstance(exc, TimeoutError | socket.timeout):
                raise FetchRefused("The calendar took too long to answer.") from exc
            raise FetchRefused(f"The calendar server could not be reached ({type(exc).__name__}).") from exc
        finally:
            conn.close()
    raise FetchRefused("The calendar address redirects too many times.")
