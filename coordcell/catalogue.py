"""The registers coordcell lists: each one's list, detail and form pages, its exports and its API
resource are built from the same ``Register`` description. The URL conf, the exports and the API
read this list; nothing imports the URL conf to find them."""

from coordcell.pledges.register_defs import PLEDGES
from coordcell.registry import register_defs as reg
from coordcell.registry.registers import Register
from coordcell.requirements.register_defs import REQUIREMENTS

REGISTERS: list[Register] = [
    PLEDGES,
    REQUIREMENTS,
    reg.NATIONS,
    reg.ORGANISATIONS,
    reg.CATEGORIES,
    reg.LOCATIONS,
    reg.COALITIONS,
    reg.CAPABILITIES,
    reg.USERS,
]


def register_by_slug() -> dict[str, Register]:
    return {r.slug: r for r in REGISTERS}
