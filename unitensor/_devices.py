"""One device vocabulary for every backend: ``cpu``, ``cuda:N``, ...

Backends translate their own spellings (JAX's ``gpu``, CuPy's integer ids,
torch's ``cuda``) to and from :class:`Device`.
"""

from __future__ import annotations

__all__ = ["Device", "as_device"]

_TYPE_ALIASES = {"gpu": "cuda", "cuda": "cuda", "cpu": "cpu", "host": "cpu"}


class Device:
    """A device: a type (``"cpu"``, ``"cuda"``, ``"meta"`` ...) and an optional index.

    Compares equal to its string spelling, so ``t.device == "cpu"`` works.

    Examples
    --------
    >>> import unitensor as ut
    >>> d = ut.Device("cuda:1")
    >>> d.type, d.index, str(d)
    ('cuda', 1, 'cuda:1')
    >>> ut.Device("gpu", 0) == "cuda:0"
    True
    """

    __slots__ = ("type", "index")

    def __init__(self, type: str | Device, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, Device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"a device is named by a string such as 'cpu' or 'cuda:0', not {type!r}")
        name, _, suffix = type.strip().lower().partition(":")
        if suffix:
            if index is not None:
                raise ValueError(f"device {type!r} already has an index; do not pass index={index}")
            if not suffix.isdigit():
                raise ValueError(f"bad device index in {type!r}; write it like 'cuda:0'")
            index = int(suffix)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"a device index must be a non-negative int, not {index!r}")
        if not name:
            raise ValueError("empty device name; use 'cpu' or 'cuda:N'")
        self.type = _TYPE_ALIASES.get(name, name)
        self.index = index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"Device({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if other is self:  # backends hand out one Device per device: the common case of a device check
            return True
        if isinstance(other, str):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, Device):
            return NotImplemented
        if self.type != other.type:
            return False
        # "cpu" and "cpu:0" name the same single host device
        return _index(self) == _index(other)

    def __hash__(self) -> int:
        return hash((self.type, _index(self)))

    @property
    def is_host(self) -> bool:
        """Whether NumPy can read this device's memory directly."""
        return self.type == "cpu"


def _index(device: Device) -> int:
    return 0 if device.index is None else device.index


def as_device(device: object) -> Device:
    """Normalize a device given as a :class:`Device` or a string."""
    return device if isinstance(device, Device) else Device(device)  # type: ignore[arg-type]
