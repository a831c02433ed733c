"""The models a server worker runs: each loaded once (per executor thread), run off the event loop.

A request names a model only from the allowed set (``ServeConfig.model`` and ``models``, by
default the pretrained ones): a request never names a file path. :func:`estimate` is the work an
executor thread does for ``POST /v1/pose``: the same estimator ``posekit infer --model M`` makes
(:func:`posekit.commands.infer.load_estimator`), the same COCO records (``results_to_records``)
and the same overlay (:func:`posekit.visualize.draw_poses`).
"""
from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from .limits import ApiError

__all__ = ["ModelRegistry", "estimate", "overlay_png"]


class ModelRegistry:
    """(model, accurate) -> estimator, one per thread (an estimator keeps per-call state)."""

    def __init__(self, default: str, allowed: tuple[str, ...] = (), torch_threads: int = 0):
        from ..estimators import PRETRAINED

        self.default = default
        self.allowed = tuple(dict.fromkeys((default, *(allowed or PRETRAINED))))
        self.torch_threads = torch_threads
        self._local = threading.local()
        self._lock = threading.Lock()
        self.loaded: dict[str, int] = {}  # "model" or "model (accurate)" -> copies loaded

    def check(self, name: str | None) -> str:
        name = name or self.default
        if name not in self.allowed:
            raise ApiError(400, f"unknown model {name!r}: this server runs {', '.join(self.allowed)}")
        return name

    def get(self, name: str, accurate: bool = False):
        cache = self._local.__dict__.setdefault("cache", {})
        key = (name, accurate)
        if key not in cache:
            if self.torch_threads:
                import torch

                torch.set_num_threads(self.torch_threads)
            from ..commands.infer import add_model_arguments, load_estimator

            p = argparse.ArgumentParser()
            add_model_arguments(p)
            args = p.parse_args(["--model", name] + (["--accurate"] if accurate else []))
            cache[key] = (load_estimator(args), args)
            label = name + (" (accurate)" if accurate else "")
            with self._lock:
                self.loaded[label] = self.loaded.get(label, 0) + 1
        return cache[key]


def estimate(registry: ModelRegistry, image: np.ndarray, name: str, accurate: bool, threshold: float,
             notes: list[str], timing: dict) -> tuple[dict, object]:
    """The JSON answer of ``POST /v1/pose`` for ``image`` and the :class:`PoseResult` behind it."""
    from ..data.results import keypoints_as, results_to_records
    from ..skeletons import get_skeleton

    started = time.perf_counter()
    estimator, args = registry.get(name, accurate)
    result = estimator.predict(image, image_id=0)
    timing["inference_ms"] = round((time.perf_counter() - started) * 1000, 2)
    skeleton = get_skeleton("coco17")
    kp, ks = keypoints_as(result, skeleton)
    people = [{"keypoints": [[round(float(x), 3), round(float(y), 3)] for x, y in kp[i]],
               "scores": [round(float(s), 4) for s in ks[i]],
               "box": [round(float(v), 3) for v in result.boxes[i]],
               "score": round(float(result.scores[i]), 4)} for i in range(len(kp))]
    h, w = image.shape[:2]
    answer = {"model": name, "detector": args.detector, "accurate": accurate, "width": w, "height": h,
              "threshold": threshold, "notes": notes, "skeleton": skeleton.name,
              "keypoint_names": list(skeleton.names), "limbs": [list(l) for l in skeleton.limbs],
              "people": people, "records": results_to_records([result], view=skeleton), "timing": timing}
    return answer, result


def overlay_png(image: np.ndarray, result, threshold: float) -> bytes:
    """PNG bytes of ``image`` with ``result``'s people drawn (as ``posekit infer`` draws them)."""
    import cv2

    from ..visualize import draw_poses

    drawn = draw_poses(image, result, threshold, skeleton="coco17")
    ok, png = cv2.imencode(".png", cv2.cvtColor(drawn, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ApiError(500, "could not encode the overlay")
    return png.tobytes()
