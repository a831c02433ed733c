"""The PAF codec's round trip: ground-truth fields encoded from synthetic crowds whose limbs cross
decode (OpenPose's grouping) back to the same people, OKS >= 0.95 for everyone with >= 5 labelled
keypoints.

Two situations no part-field decoder can undo are left out of the scenes, as the representation
itself loses them (Cao et al. 2017, Section 2.3): two people's same keypoints closer than 3 sigma
(21 px: their confidence peaks merge into one under the maximum), and two people's same limb
covering a cell in directions more than 90 degrees apart (the averaged field cancels) or less
than 30 degrees apart (near-parallel limbs within a limb width of each other: the wrong pairing
integrates the same field as the right one). Crossings of different limbs, and of the same limb
at steeper angles, the cases PAFs exist for, stay in and are counted.
"""
import numpy as np

from posekit.codecs.paf import PAFCodec
from posekit.data.synthetic.background import background
from posekit.data.synthetic.scene import compose, random_people
from posekit.skeletons import COCO17

CODEC = PAFCodec((384, 256), 17, COCO17.limbs, upsample=8)


def _cross(p1, p2, q1, q2) -> bool:
    side = lambda a, b, c: np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))  # noqa: E731
    return side(p1, p2, q1) != side(p1, p2, q2) and side(q1, q2, p1) != side(q1, q2, p2)


def _crossings(kp, vis) -> int:
    n = 0
    for p in range(len(kp)):
        for q in range(p + 1, len(kp)):
            for a, b in COCO17.limbs:
                for c, d in COCO17.limbs:
                    if vis[p, a] and vis[p, b] and vis[q, c] and vis[q, d] and _cross(kp[p, a], kp[p, b], kp[q, c], kp[q, d]):
                        n += 1
    return n


def _resolvable(kp, vis) -> bool:
    labelled = vis > 0
    dist = np.linalg.norm(kp[:, None] - kp[None], axis=-1)               # (P, P, K)
    both = labelled[:, None] & labelled[None]
    both[np.arange(len(kp)), np.arange(len(kp))] = False
    if (dist[both] < 3 * CODEC.sigma).any():
        return False
    fields = np.stack([CODEC.affinity_fields(kp[p:p + 1], labelled[p:p + 1]) for p in range(len(kp))])
    f = fields.reshape(len(kp), CODEC.num_limbs, 2, -1)                  # (P, L, 2, cells)
    dots = np.einsum("plcx,qlcx->pqlx", f, f)
    covered = (np.abs(f).sum(2) > 0)
    clash = covered[:, None] & covered[None] & ((dots < 0) | (dots > np.cos(np.deg2rad(30))))
    clash[np.arange(len(kp)), np.arange(len(kp))] = False
    return not clash.any()


def _crowds(n_scenes: int):
    """Rows of 3-5 people 55-65 px apart (arms reach over their neighbours), kept when resolvable."""
    t = 0
    while n_scenes:
        rng = np.random.default_rng([5, t])
        t += 1
        k = int(rng.integers(3, 6))
        xs = 192 + (np.arange(k) - (k - 1) / 2) * rng.uniform(55, 65) + rng.normal(0, 5, k)
        people = random_people(rng, k, rng.uniform(140, 180, k), np.stack([xs, np.full(k, 140.0)], 1))
        scene = compose(background(rng, 256, 384), people)
        if len(scene.slots) and _resolvable(scene.keypoints, scene.visibility):
            n_scenes -= 1
            yield scene


def test_ground_truth_fields_of_crossing_crowds_decode_to_the_same_people():
    checked, crossings = 0, 0
    for scene in _crowds(20):
        kp, vis = scene.keypoints, scene.visibility
        crossings += _crossings(kp, vis)
        target = CODEC.encode_image(kp, vis)
        found, scores, person_scores = CODEC.decode_image((target["heatmaps"], target["pafs"]))
        assert np.all(np.diff(person_scores) <= 0)
        people = (vis > 0).sum(1) >= 5
        assert len(found) >= people.sum()
        oks = _oks(found, kp[people], vis[people], scene.areas[people])
        assert np.all(oks.max(0) >= 0.95), (oks.max(0), scene.areas[people])
        checked += int(people.sum())
    assert checked >= 60 and crossings >= 20


def _oks(found, gt, vis, areas):
    """COCO's OKS (cocoapi computeOks): exp(-d^2 / (2 area (2 sigma)^2)) averaged over labelled keypoints; (M, P)."""
    k2 = (2 * COCO17.sigma_array()) ** 2
    d2 = ((found[:, None] - gt[None]) ** 2).sum(-1)                      # (M, P, K)
    e = np.exp(-d2 / (2 * areas[None, :, None] * k2))
    labelled = vis[None] > 0
    return (e * labelled).sum(-1) / labelled.sum(-1)
