"""The Ray clusters a dashboard may send studies to: only those its owner lists, never an address a visitor types.

Why: Ray hands results back as pickles, so whoever runs the cluster a job connects to runs code on this host;
a free-text address is also a port scanner. The owner names trusted clusters in ``BATCHSCOPE_RAY_CLUSTERS``
(``name=address`` pairs, comma-separated; the address ``local`` starts Ray on this machine). None by default:
the New-study page then offers this machine only. Jobs store the cluster's *name*; the address is looked up
in the server's own setting when the job starts, so a job file in a shared store cannot carry one. No torch.
"""
from __future__ import annotations

import os
import re

ENV = "BATCHSCOPE_RAY_CLUSTERS"
LOCAL = "local"      # the address that means "start a Ray runtime on this machine" (Ray's default, no address)
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_ADDRESS = re.compile(r"(ray://)?[A-Za-z0-9_.:\[\]-]{1,200}")


class ClusterError(ValueError):
    """A cluster setting or name this server cannot use; the message says what to change."""


def configured_clusters(environ=None) -> dict[str, str]:
    """``{name: address}`` from ``BATCHSCOPE_RAY_CLUSTERS``, in the order given; {} when unset."""
    raw = (os.environ if environ is None else environ).get(ENV, "").strip()
    clusters: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, address = (s.strip() for s in item.partition("="))
        if not sep or not _NAME.fullmatch(name) or not _ADDRESS.fullmatch(address):
            raise ClusterError(f"{ENV}: {item[:60]!r} is not name=address (e.g. 'lab=head:6379' or "
                               f"'here=local'); names use letters, digits, '.', '_' and '-'")
        if name in clusters:
            raise ClusterError(f"{ENV}: the name {name!r} is listed twice")
        clusters[name] = address
    return clusters


def cluster_address(name: str, environ=None) -> str:
    """The address of the configured cluster ``name``, or ``""`` for a local Ray (no address given)."""
    clusters = configured_clusters(environ)
    if name not in clusters:
        listed = ", ".join(clusters) or "none"
        raise ClusterError(f"the Ray cluster {str(name)[:40]!r} is not configured on this server "
                           f"(configured: {listed}; the owner lists clusters in {ENV})")
    address = clusters[name]
    return "" if address == LOCAL else address


def runs_on_this_machine(name: str, environ=None) -> bool:
    """A local Ray uses this machine's cores and device, so its job takes the device's slot in the queue."""
    return cluster_address(name, environ) == ""
