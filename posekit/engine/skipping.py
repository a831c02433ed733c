"""Training on through unreadable samples: one bad image in a hundred thousand should cost a
warning, not the run."""
from __future__ import annotations

from ..errors import DataError

__all__ = ["SkipUnreadable"]


class SkipUnreadable:
    """A map-style dataset whose items that raise :class:`DataError` are replaced by the next
    readable one (so batches stay full and the data order stays a function of the seed), marked
    ``"skipped": index`` (-1 on every other item) for the :class:`~posekit.engine.trainer.Trainer`
    to report; ``describe(index)`` names the sample and why it was skipped."""

    def __init__(self, dataset, max_tries: int = 16):
        self.dataset, self.max_tries = dataset, max_tries
        self.reasons: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.dataset, "set_epoch"):
            self.dataset.set_epoch(epoch)

    def _reason(self, index: int) -> str | None:
        try:
            self.dataset[index]
        except DataError as e:
            return str(e)
        return None

    def describe(self, index: int) -> str:
        """One line naming sample ``index`` and its problem (read again: workers do not share state)."""
        inner = getattr(self.dataset, "describe", None)
        if inner is not None:
            return inner(index)
        return self.reasons.get(index) or self._reason(index) or f"training sample {index}"

    def __getitem__(self, index: int) -> dict:
        n = len(self.dataset)
        for k in range(self.max_tries):
            try:
                item = self.dataset[(index + k) % n]
            except DataError as e:
                self.reasons[(index + k) % n] = str(e)
                continue
            item["skipped"] = index if k else -1
            return item
        raise DataError(f"{self.max_tries} consecutive training samples from {index} cannot be read; last: "
                        f"{self.reasons[(index + self.max_tries - 1) % n]}")
