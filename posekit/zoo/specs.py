"""How a checkpoint records a model's skeleton, and back."""
from __future__ import annotations

__all__ = ["skeleton_spec", "resolve_skeleton"]


def skeleton_spec(skeleton) -> str | dict:
    """A skeleton as a checkpoint stores it: the name of a built-in set, or its full definition."""
    from ..skeletons import SKELETONS, get_skeleton

    if isinstance(skeleton, str):
        return get_skeleton(skeleton).name
    if SKELETONS.get(skeleton.name) == skeleton:
        return skeleton.name
    return {"name": skeleton.name, "names": list(skeleton.names), "flip_pairs": [list(p) for p in skeleton.flip_pairs],
            "limbs": [list(p) for p in skeleton.limbs], "sigmas": list(skeleton.sigmas) if skeleton.sigmas else None}


def resolve_skeleton(spec):
    """Inverse of :func:`skeleton_spec` (also accepts a :class:`~posekit.skeletons.Skeleton`)."""
    from ..skeletons import Skeleton, get_skeleton

    if isinstance(spec, str):
        return get_skeleton(spec)
    if isinstance(spec, dict):
        return Skeleton(spec["name"], tuple(spec["names"]), tuple(map(tuple, spec["flip_pairs"])),
                        tuple(map(tuple, spec["limbs"])), tuple(spec["sigmas"]) if spec.get("sigmas") else None)
    return spec

