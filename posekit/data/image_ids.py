"""Matching the images a run saw to a ground truth's images by file path.

``posekit infer`` without ``--gt`` numbers its images 1..N and writes ``image_ids.json``
(``{path: image_id}``). :func:`match_image_ids` finds each path's image in a ground truth by
its ``file_name``: the GT image whose file name matches the most trailing path components wins
(``images/val/012834/000000.jpg`` tells three videos' ``000000.jpg`` apart); a tie, or two
paths landing on one image, is refused rather than guessed.
"""
from __future__ import annotations

from pathlib import PurePath
from typing import Mapping

from ..errors import DataError

__all__ = ["match_image_ids", "FileNameIndex"]


def _parts(name: str) -> tuple[str, ...]:
    return tuple(p for p in PurePath(name.replace("\\", "/")).parts if p not in ("/", "."))


def _common_tail(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


class FileNameIndex:
    """A ground truth's images by ``file_name``, to find the image a path on disk shows: the one
    whose file name matches the most trailing components of the path."""

    def __init__(self, gt_images: list[dict], gt_path: str | None = None):
        self.gt_path = gt_path
        self.by_base: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for img in gt_images:
            parts = _parts(str(img.get("file_name", "")))
            if parts:
                self.by_base.setdefault(parts[-1], []).append((parts, img["id"]))

    def image_id(self, path, source: str | None = None, record=None) -> int:
        """The ground-truth id of ``path``; :class:`DataError` when none or several match equally well."""
        parts = _parts(str(path))
        candidates = self.by_base.get(parts[-1] if parts else "", [])
        if not candidates:
            raise DataError(f"{path!r} matches no file_name of the ground truth {self.gt_path or ''}".rstrip(),
                            source, record)
        scored = sorted(((_common_tail(parts, c), gid, c) for c, gid in candidates), key=lambda t: -t[0])
        best = [t for t in scored if t[0] == scored[0][0]]
        if len(best) > 1:
            names = ", ".join("/".join(t[2]) for t in best[:3])
            raise DataError(f"{path!r} matches {len(best)} ground-truth images equally well ({names}): "
                            "run infer on paths that include the folders of the file_names", source, record)
        return best[0][1]


def match_image_ids(paths: Mapping[str, object], gt_images: list[dict], source: str | None = None,
                    gt_path: str | None = None) -> dict[object, int]:
    """``{the run's image id: the ground truth's image id}`` for every entry of ``paths``
    (``{path: id}``, as in ``image_ids.json``); :class:`DataError` on a path that matches no
    image, matches several equally well, or shares its image with another path."""
    index = FileNameIndex(gt_images, gt_path)
    out: dict[object, int] = {}
    taken: dict[int, str] = {}
    for path, run_id in paths.items():
        gid = index.image_id(path, source, f"image {run_id!r}")
        if gid in taken:
            raise DataError(f"{path!r} and {taken[gid]!r} both match ground-truth image {gid}", source,
                            f"image {run_id!r}")
        taken[gid] = str(path)
        out[run_id] = gid
    return out
