"""Blocks other modules add to the workbench (工作台), without core importing them.

Core cannot depend on the modules built on it. A module registers a function in its AppConfig.ready():

    register_block(fn)   fn(user, org) answers None (nothing to show) or a dict with ``template`` (the
                         block's template, rendered with the dict as ``block``) and whatever it needs.

The home view calls every registered function for the user's current org, in registration order.
Plain list of functions, like the orgs module's hooks: no signals.
"""

from collections.abc import Callable

WorkbenchBlock = Callable[[object, object], dict | None]
_blocks: list[WorkbenchBlock] = []


def register_block(block: WorkbenchBlock) -> WorkbenchBlock:
    if block not in _blocks:
        _blocks.append(block)
    return block


def unregister_block(block: WorkbenchBlock) -> None:
    """For tests: take a registered block away again."""
    if block in _blocks:
        _blocks.remove(block)


def blocks_for(user, org) -> list[dict]:
    """The blocks that have something to show for ``user`` at ``org``."""
    return [found for found in (block(user, org) for block in _blocks) if found]
