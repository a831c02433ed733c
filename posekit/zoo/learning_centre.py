"""The learning proof of the human-centre regression presets (DEKR, SPM at CPU size): each trained from
scratch for a fixed number of steps on the synthetic multi-person scenes of
:mod:`posekit.zoo.learning_paf` (3-8 people, occluders, sometimes a masked crowd), scored by COCO keypoint
AP of the people its decoder finds in held-out scenes, beside the same network untrained.

The scenes, the training settings and the scoring are :func:`~posekit.zoo.learning_paf.learn_paf`'s, shared
by every bottom-up family; only the presets and their step counts are set here (each fits 10 CPU minutes
on one thread). ``bench/learning_centre.py`` measures three seeds; ``tests/bottomup/test_dekr_learning.py``
holds a run to the bar they set.
"""
from __future__ import annotations

from .centre_regression import DEKR_CPU_PRESET, SPM_CPU_PRESET
from .learning_paf import SIZE, learn_paf, synthetic_scenes

__all__ = ["STEPS", "proof_run"]

# steps of each preset's proof, to fit 10 CPU minutes with its validation (one thread, batch 8: about 0.95 CPU s a
# step for DEKR's small preset, 0.8 for SPM's, measured with time.process_time)
STEPS = {DEKR_CPU_PRESET: 550, SPM_CPU_PRESET: 600}


def proof_run(preset: str, seed: int, steps: int | None = None, train_scenes: int = 800, held_out_scenes: int = 100,
              untrained: bool = True) -> dict:
    """The proof of ``preset``: ``train_scenes`` scenes drawn with seed ``1000 + seed``, ``held_out_scenes``
    held-out scenes (seed 7, the same for every run), ``steps`` (default :data:`STEPS`) steps."""
    train, _ = synthetic_scenes(train_scenes, SIZE, 1000 + seed)
    held_out, gt = synthetic_scenes(held_out_scenes, SIZE, 7)
    return learn_paf(preset, STEPS[preset] if steps is None else steps, train, held_out, gt, seed=seed,
                     untrained=untrained, log_every=10 ** 6)
