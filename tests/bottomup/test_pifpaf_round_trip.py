"""The PifPaf codec's round trip: CIF and CAF encoded from synthetic crowds of 3-15 people whose limbs
cross, with occluders, decode (OpenPifPaf's CIF-CAF decoder) back to the same people, OKS >= 0.95 for
everyone with >= 5 labelled keypoints.

The scenes no composite-field decoder can undo are counted and left out; each is a limit of the
representation, checked on the encoded fields, not on the decoder's output:

- two people's same keypoints closer (per axis) than the occupancy half-width ``max(4, scale)`` input
  pixels: the second is an occupied seed and keypoint NMS drops it;
- a joint keeping fewer than 2 of its 16 CIF cells (the rest nearer another person's same joint): its
  high-resolution confidence stays under ``(0.2 - 0.1) / 0.9``, so no CAF connection to it scores
  above the CAF threshold; or a person none of whose joints keeps 8 cells (no seed reaches 0.5);
- a limb keeping no CAF cell of its own (every one nearer another person's same limb);
- a person whose labelled joints are not connected through the skeleton's limbs (it decodes as two).
"""
import numpy as np

from posekit.codecs.pifpaf import PifPafCodec
from posekit.data.synthetic.background import background
from posekit.data.synthetic.scene import compose, random_people
from posekit.skeletons import COCO17

CODEC = PifPafCodec((512, 320), 17, COCO17.limbs, COCO17.sigmas)


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


def _pointed(field, first):
    """Input-pixel targets (n, 2) of the cells of ``field`` (C, h, w) with confidence 1, and where they are."""
    cy, cx = np.nonzero(field[0] == 1)
    return CODEC.to_input(np.stack([cx + field[first, cy, cx], cy + field[first + 1, cy, cx]], 1))


def _connected(labelled) -> bool:
    nodes = set(np.flatnonzero(labelled))
    if not nodes:
        return True
    seen, todo = set(), [min(nodes)]
    while todo:
        a = todo.pop()
        seen.add(a)
        todo += [b for x, y in COCO17.limbs for s, b in ((x, y), (y, x)) if s == a and b in nodes and b not in seen]
    return seen == nodes


def _resolvable(kp, vis, target) -> bool:
    labelled = vis > 0
    sig = COCO17.sigma_array()
    box = np.array([np.ptp(kp[p][labelled[p]], 0).prod() for p in range(len(kp))])
    scale = np.sqrt(box)[:, None] * sig[None]                             # (P, K) joint scales, input pixels
    gap = np.abs(kp[:, None] - kp[None]).max(-1)                          # (P, P, K) per-axis
    both = labelled[:, None] & labelled[None]
    both[np.arange(len(kp)), np.arange(len(kp))] = False
    if (both & (gap < np.maximum(4.0, scale)[:, None])).any():
        return False
    for p in range(len(kp)):
        if not _connected(labelled[p]):
            return False
        cells = [np.sum(np.linalg.norm(_pointed(target["cif"][k], 1) - kp[p, k], axis=1) < 1e-3)
                 for k in range(17) if labelled[p, k]]
        if min(cells) < 2 or max(cells) < 8:
            return False
        for i, (a, b) in enumerate(COCO17.limbs):
            if labelled[p, a] and labelled[p, b]:
                ends = np.concatenate([_pointed(target["caf"][i], 1), _pointed(target["caf"][i], 3)], 1)
                if not np.any(np.linalg.norm(ends - np.concatenate([kp[p, a], kp[p, b]]), axis=1) < 1e-3):
                    return False
    return True


def _crowd(t: int):
    """3-15 people in one or two rows, 40-60 px apart (arms reach over their neighbours), occluders."""
    rng = np.random.default_rng([14, t])
    k = int(rng.integers(3, 16))
    rows = 1 if k <= 7 else 2
    per = -(-k // rows)
    gap = rng.uniform(40, 60)
    xs = 256 + (np.arange(k) % per - (per - 1) / 2) * gap + rng.normal(0, 5, k)
    ys = np.where(np.arange(k) < per, 110.0, 230.0) if rows == 2 else np.full(k, 170.0)
    people = random_people(rng, k, rng.uniform(110, 150, k), np.stack([xs, ys], 1))
    return compose(background(rng, 320, 512), people, rng, int(rng.integers(0, 3)), 80)


def _oks(found, gt, vis, areas):
    """COCO's OKS (cocoapi computeOks): exp(-d^2 / (2 area (2 sigma)^2)) averaged over labelled keypoints; (M, P)."""
    k2 = (2 * COCO17.sigma_array()) ** 2
    d2 = ((found[:, None] - gt[None]) ** 2).sum(-1)                      # (M, P, K)
    e = np.exp(-d2 / (2 * areas[None, :, None] * k2))
    labelled = vis[None] > 0
    return (e * labelled).sum(-1) / labelled.sum(-1)


def round_trip_scenes(n_scenes: int):
    """(scene, target) for the first ``n_scenes`` resolvable crowds, and how many were left out."""
    out, excluded, t = [], 0, 0
    while len(out) < n_scenes:
        scene = _crowd(t)
        t += 1
        if not len(scene.slots):
            continue
        target = CODEC.encode_image(scene.keypoints, scene.visibility)
        if _resolvable(scene.keypoints, scene.visibility, target):
            out.append((scene, target))
        else:
            excluded += 1
    return out, excluded


def check_round_trip(decode_image, scenes) -> tuple[int, int]:
    """Assert every person with >= 5 labelled keypoints comes back at OKS >= 0.95; (people, crossings)."""
    checked, crossings = 0, 0
    for scene, target in scenes:
        kp, vis = scene.keypoints, scene.visibility
        crossings += _crossings(kp, vis)
        found, scores, person_scores = decode_image(target)
        assert np.all(np.diff(person_scores) <= 1e-12)
        people = (vis > 0).sum(1) >= 5
        assert len(found) >= people.sum()
        oks = _oks(found, kp[people], vis[people], scene.areas[people])
        assert np.all(oks.max(0) >= 0.95), (oks.max(0), scene.areas[people])
        checked += int(people.sum())
    return checked, crossings


def test_ground_truth_fields_of_crossing_crowds_decode_to_the_same_people():
    scenes, excluded = round_trip_scenes(24)
    sizes = [len(s.slots) for s, _ in scenes]
    checked, crossings = check_round_trip(lambda t: CODEC.decode_image((t["cif"], t["caf"])), scenes)
    # measured: 24 scenes kept (3-15 people), 20 excluded (every one for two people's same keypoints
    # within the occupancy half-width), 163 people checked, 128 limb crossings
    print(f"kept {len(scenes)} scenes ({min(sizes)}-{max(sizes)} people), excluded {excluded}, "
          f"people checked {checked}, limb crossings {crossings}")
    assert max(sizes) >= 10 and min(sizes) <= 4
    assert checked >= 150 and crossings >= 100
    assert excluded <= 3 * len(scenes)


def test_the_fields_hold_what_the_paper_defines():
    """One person by hand: a joint's 4x4 CIF patch points at it; a limb's CAF cells point at both ends."""
    kp = np.zeros((1, 17, 2))
    kp[0, :, 0] = 100.0 + 10 * np.arange(17)
    kp[0, :, 1] = 150.0
    vis = np.zeros((1, 17), int)
    vis[0, [5, 7, 9]] = 2                                                  # left shoulder, elbow, wrist
    kp[0, 7], kp[0, 9] = (140.0, 190.0), (170.0, 230.0)
    t = CODEC.encode_image(kp, vis)
    cif, caf = t["cif"], t["caf"]
    assert cif[5, 0].sum() == 16 and cif[7, 0].sum() == 16 and cif[[0, 1, 6], 0].sum() == 0
    two = CODEC.encode_image(kp, np.where(np.arange(17) == 9, 0, vis))["cif"]
    assert two[5, 4].max() == 0 and two[5, 0].sum() == 16     # under three labelled keypoints: no scale
    u = (kp[0, 5] - 3.5) / 8                                               # grid position of the shoulder
    cy, cx = np.nonzero(cif[5, 0])
    assert set(cx) == set(range(int(np.round(u[0] - 1.5)), int(np.round(u[0] - 1.5)) + 4))
    np.testing.assert_allclose(cx + cif[5, 1, cy, cx], u[0], atol=1e-5)
    np.testing.assert_allclose(cy + cif[5, 2, cy, cx], u[1], atol=1e-5)
    area = 30 * 80                                                         # box of the labelled joints
    np.testing.assert_allclose(cif[5, 4, cy, cx], np.sqrt(area) * COCO17.sigmas[5] / 8, rtol=1e-6)
    np.testing.assert_allclose(cif[5, 3, cy, cx], 0.1 / 8, rtol=1e-6)
    limb = COCO17.limbs.index((5, 7)) if (5, 7) in COCO17.limbs else COCO17.limbs.index((7, 5))
    a, b = COCO17.limbs[limb]
    cy, cx = np.nonzero(caf[limb, 0])
    others = [i for i in range(19) if i not in (limb, COCO17.limbs.index((7, 9)))]
    assert len(cx) >= 9 and caf[others, 0].sum() == 0
    np.testing.assert_allclose(CODEC.to_input(np.stack([cx + caf[limb, 1, cy, cx], cy + caf[limb, 2, cy, cx]], 1)),
                               np.repeat(kp[0, a][None], len(cx), 0), atol=1e-4)
    np.testing.assert_allclose(CODEC.to_input(np.stack([cx + caf[limb, 3, cy, cx], cy + caf[limb, 4, cy, cx]], 1)),
                               np.repeat(kp[0, b][None], len(cx), 0), atol=1e-4)
    # every CAF cell lies within the 3x3 patches along the segment: at most 1.5 cells across it
    grid = np.stack([cx, cy], 1)
    j1, j2 = (kp[0, a] - 3.5) / 8, (kp[0, b] - 3.5) / 8
    v = (j2 - j1) / np.linalg.norm(j2 - j1)
    across = np.abs((grid - j1) @ np.array([-v[1], v[0]]))
    assert across.max() <= 1.5 * np.sqrt(2) + 1e-9


def test_crowd_masks_leave_the_loss():
    mask = np.ones((320, 512), bool)
    mask[:, :256] = False
    t = CODEC.encode_image(np.zeros((0, 17, 2)), np.zeros((0, 17)), mask)
    assert t["mask"][:, :32].max() == 0 and t["mask"][:, 32:].min() == 1
    assert t["cif"].shape == (17, 5, 40, 64) and t["caf"].shape == (19, 9, 40, 64) and not t["cif"].any()


def _raw(target) -> tuple:
    """The raw network output whose activations (sigmoid, softplus + bmin, softplus) are ``target``."""
    import torch

    def inverse_softplus(v):
        return np.where(v > 0, np.log(np.expm1(np.maximum(v, 1e-9))), -30.0)

    cif, caf, bmin = target["cif"].astype(np.float64), target["caf"].astype(np.float64), CODEC.bmin / CODEC.stride
    cif_raw = np.concatenate([np.where(cif[:, :1] > 0, 30.0, -30.0), cif[:, 1:3],
                              inverse_softplus(cif[:, 3:4] - bmin), inverse_softplus(cif[:, 4:5])], 1)
    caf_raw = np.concatenate([np.where(caf[:, :1] > 0, 30.0, -30.0), caf[:, 1:5],
                              inverse_softplus(caf[:, 5:7] - bmin), inverse_softplus(caf[:, 7:9])], 1)
    return torch.from_numpy(cif_raw[None]).float(), torch.from_numpy(caf_raw[None]).float()


def test_the_same_crowds_round_trip_through_the_model_fields_and_decoder():
    """Ground truth as a raw network output -> ``model.fields`` (what an exported network outputs) ->
    ``model.codec.decode_image``, as ``predict_inputs`` runs it."""
    from posekit.zoo import build_model

    model = build_model("pifpaf-small-160x160", input_size=(512, 320))
    assert model.codec == CODEC
    scenes, _ = round_trip_scenes(8)

    def through_model(target):
        fields = model.fields(_raw(target))
        assert fields[0].shape == (1, 17 * 5, 40, 64) and fields[1].shape == (1, 19 * 9, 40, 64)
        return model.codec.decode_image(tuple(f[0] for f in fields))

    checked, _ = check_round_trip(through_model, scenes)
    assert checked >= 40
