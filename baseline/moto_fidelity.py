"""Make moto's EC2 security-group model behave like AWS for the isolation drill and tests.

In AWS an instance's security groups *are* its primary network interface's groups, and each
interface has only its own groups. moto (5.x) instead lists an attached interface's groups as
the union of its own and the instance's, and ``ModifyNetworkInterfaceAttribute`` on the
primary interface leaves the instance's groups unchanged. Isolation code that is correct in
AWS then looks wrong in moto (and vice versa), so the drill and the tests run with this patch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


@contextmanager
def aws_like_interface_groups() -> Iterator[None]:
    """Within the block, moto keeps interface and instance groups the way AWS does."""
    from moto.ec2.models.elastic_network_interfaces import (
        NetworkInterface,
        NetworkInterfaceBackend,
    )

    original_modify = NetworkInterfaceBackend.modify_network_interface_attribute

    def own_groups(self: Any) -> Any:
        return self._group_set

    def modify(self: Any, eni_id: str, group_ids: list[str], *args: Any, **kwargs: Any) -> None:
        original_modify(self, eni_id, group_ids, *args, **kwargs)
        eni = self.get_network_interface(eni_id)
        if group_ids and eni.instance is not None and eni.device_index == 0:
            eni.instance.security_groups = list(eni._group_set)

    with (
        mock.patch.object(NetworkInterface, "group_set", property(own_groups)),
        mock.patch.object(NetworkInterfaceBackend, "modify_network_interface_attribute", modify),
    ):
        yield
