"""Helpers for the tests of kept figures (roll-ups) in every app: the figures as the pages get them, and
the same figures counted live from the records."""

from unittest import mock

from dangjian.reports import registry


def figures(user, org, period, keys) -> tuple[dict, dict]:
    """The figures of ``keys`` for the org's subtree and by its direct subordinates, as the pages get them."""
    wanted = registry.lookup(keys)
    return registry.compute(user, org, period, wanted), registry.compute_by_child(user, org, period, wanted)


def live_figures(user, org, period, keys, sources) -> tuple[dict, dict]:
    """The same figures with no accelerator for ``sources`` (their keys): counted from the records."""
    with mock.patch.dict(registry.accelerators):
        for source in sources:
            del registry.accelerators[source]
        return figures(user, org, period, keys)
