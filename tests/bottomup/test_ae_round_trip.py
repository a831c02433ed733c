"""The associative-embedding codec's round trip: ground-truth heatmaps and ideal tags (each person's
tag a distinct value, 1 apart: the grouping's tag threshold) of synthetic crowds of 3-15 people whose
limbs cross, with occluders, decode (NMS, top-k, tag matching, adjust, refine) back to the same people,
OKS >= 0.95 for everyone with >= 5 labelled keypoints; once at the codec level (the stride-2 heatmaps)
and once through the model's fields (the stride-4 and stride-2 heatmaps averaged, as a trained
network's are).

No person needed to be left out of these scenes (measured: worst best-match OKS 0.989 at the codec
level, 0.988 through the fields, over 234 people); the people with a keypoint within ``CLOSE`` input
pixels of another person's same keypoint (sigma at stride 2, where peaks start to merge) are counted
to show the scenes hold such cases. Two things grouping by tags cannot undo by construction are shown
on their own:

- the same keypoint of two people on (nearly) one cell: the maximum of their Gaussians has one peak,
  the NMS keeps one candidate, and the matching gives it to one person only; the refinement step
  (a search by the person's tag over the whole map, without NMS) is what gives the other its joints
  back (:func:`test_keypoints_on_one_cell_merge`);
- equal tags: two people with the same tag are one person to the matching, which then pairs their
  joints by heat alone (:func:`test_equal_tags_mix_people`).
"""
import numpy as np
import torch

from posekit.codecs.associative_embedding import COCO_JOINT_ORDER, AECodec
from posekit.data.synthetic.background import background
from posekit.data.synthetic.scene import compose, random_people
from posekit.skeletons import COCO17
from posekit.zoo import build_model

W, H = 384, 320
CODEC = AECodec((W, H), 17, joint_order=COCO_JOINT_ORDER)
CLOSE = 4.0      # input pixels: sigma at stride 2


def _crossings(kp, vis) -> int:
    """Pairs of limbs of different people that cross (segments intersect)."""
    side = lambda a, b, c: np.sign((b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])  # noqa: E731
                                   - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0]))
    a_idx, b_idx = np.asarray(COCO17.limbs).T
    a, b = kp[:, a_idx], kp[:, b_idx]                                       # (P, L, 2)
    ok = (vis[:, a_idx] > 0) & (vis[:, b_idx] > 0)
    p1, p2 = a[:, :, None, None], b[:, :, None, None]                       # (P, L, 1, 1, 2)
    q1, q2 = a[None, None], b[None, None]                                   # (1, 1, P, L, 2)
    cross = ((side(p1, p2, q1) != side(p1, p2, q2)) & (side(q1, q2, p1) != side(q1, q2, p2))
             & ok[:, :, None, None] & ok[None, None])
    other = np.arange(len(kp))[:, None, None, None] != np.arange(len(kp))[None, None, :, None]
    return int((cross & other).sum() // 2)


def _crowds(n_scenes: int):
    """Scenes of 3-15 people 120-160 px tall in one or two rows, 35-50 px apart (arms reach over the
    neighbours), with two occluders; people may be cut by the image border."""
    for t in range(n_scenes):
        rng = np.random.default_rng([14, t])
        k = 3 + t % 13
        rows = 1 if k <= 7 else 2
        per = -(-k // rows)
        centres = []
        for r in range(rows):
            n = per if r < rows - 1 else k - per * (rows - 1)
            xs = W / 2 + (np.arange(n) - (n - 1) / 2) * rng.uniform(35, 50) + rng.normal(0, 5, n)
            centres += [(x, H * (r + 1) / (rows + 1) + (30 if rows == 1 else 0)) for x in xs]
        people = random_people(rng, k, rng.uniform(120, 160, k), np.array(centres))
        yield compose(background(rng, H, W), people, rng, occluders=2, occluder_scale=0.15)


def _oks(found, gt, vis, areas):
    """COCO's OKS (cocoapi computeOks): exp(-d^2 / (2 area (2 sigma)^2)) averaged over labelled keypoints; (M, P)."""
    k2 = (2 * COCO17.sigma_array()) ** 2
    d2 = ((found[:, None] - gt[None]) ** 2).sum(-1)
    e = np.exp(-d2 / (2 * areas[None, :, None] * k2))
    labelled = vis[None] > 0
    return (e * labelled).sum(-1) / labelled.sum(-1)


def _close(kp, vis) -> np.ndarray:
    """(P,) whether a labelled keypoint of the person has another person's same keypoint within CLOSE."""
    labelled = vis > 0
    d = np.linalg.norm(kp[:, None] - kp[None], axis=-1)                    # (P, P, K)
    near = (d < CLOSE) & labelled[:, None] & labelled[None]
    near[np.arange(len(kp)), np.arange(len(kp))] = False
    return near.any(axis=(1, 2))


def _round_trip(decode) -> dict:
    counts = {"scenes": 0, "checked": 0, "close": 0, "crossings": 0, "worst": 1.0}
    for scene in _crowds(26):
        kp, vis, areas = scene.keypoints, scene.visibility, scene.areas
        target = CODEC.encode_image(kp, vis)
        tags = CODEC.ideal_tags(kp, vis, np.arange(len(kp), dtype=float))
        found, scores, person_scores = decode(target, tags)
        assert np.all(np.diff(person_scores) <= 0)
        people = (vis > 0).sum(1) >= 5
        assert len(found) >= people.sum()
        oks = _oks(found, kp[people], vis[people], areas[people])
        best = oks.max(0) if len(found) else np.zeros(people.sum())
        assert np.all(best >= 0.95), (best, areas[people])
        counts["scenes"] += 1
        counts["checked"] += int(people.sum())
        counts["close"] += int((_close(kp, vis) & people).sum())
        counts["crossings"] += _crossings(kp, vis)
        counts["worst"] = min(counts["worst"], float(best.min(initial=1.0)))
    return counts


def test_ground_truth_heatmaps_and_ideal_tags_decode_to_the_same_people():
    counts = _round_trip(lambda target, tags: CODEC.decode_image((target["heatmaps_1"], tags)))
    # measured: 26 scenes, 234 people checked, 30 of them close to another, 584 limb crossings, worst OKS 0.989
    assert counts["checked"] >= 200 and counts["crossings"] >= 300 and counts["close"] >= 10


def test_the_same_through_the_models_fields():
    model = build_model("higherhrnet-small-160x160", input_size=(W, H))

    def decode(target, tags):
        output = [torch.from_numpy(np.concatenate([target["heatmaps_0"], tags]))[None].float(),
                  torch.from_numpy(target["heatmaps_1"])[None]]
        heat, tag = model.fields(output)
        assert heat.shape[-2:] == (H // 2, W // 2) and tag.shape[-2:] == (H // 4, W // 4)
        return model.codec.decode_image((heat[0], tag[0]))

    counts = _round_trip(decode)
    # measured: the same 234 people, worst best-match OKS 0.988
    assert counts["checked"] >= 200


def test_keypoints_on_one_cell_merge():
    """A person and its copy 1 px to the side: each keypoint's two peaks are one, NMS keeps one candidate
    per keypoint type, so the matching alone finds half the joints; refinement (the search by tag over
    the whole map) gives the rest back."""
    rng = np.random.default_rng(4)
    person = random_people(rng, 1, np.array([150.0]), np.array([[190.0, 170.0]]))
    scene = compose(background(rng, H, W), person)
    kp = np.concatenate([scene.keypoints, scene.keypoints + [1.0, 0.0]])
    vis = np.concatenate([scene.visibility, scene.visibility])
    labelled = int((vis[0] > 0).sum())
    target = CODEC.encode_image(kp, vis)
    tags = CODEC.ideal_tags(kp, vis, np.array([1.0, 2.0]))
    plain = AECodec((W, H), 17, joint_order=COCO_JOINT_ORDER, grouping={"refine_missing": False})
    found, scores, _ = plain.decode_image((target["heatmaps_1"], tags))
    assert int((scores > 0).sum()) < 1.5 * labelled                     # measured: 18 of 34
    found, scores, _ = CODEC.decode_image((target["heatmaps_1"], tags))
    assert len(found) == 2 and np.all((scores > 0).sum(1) >= labelled)
    assert np.all(_oks(found, kp, vis, np.repeat(scene.areas, 2)).max(0) >= 0.95)


def test_equal_tags_mix_people():
    """Two people side by side with the same tag: matching pairs their joints by heat, not by person."""
    rng = np.random.default_rng(3)
    people = random_people(rng, 2, np.array([150.0, 150.0]), np.array([[140.0, 170.0], [250.0, 170.0]]))
    scene = compose(background(rng, H, W), people)
    kp, vis = scene.keypoints, scene.visibility
    target = CODEC.encode_image(kp, vis)
    distinct = CODEC.decode_image((target["heatmaps_1"], CODEC.ideal_tags(kp, vis, np.array([0.0, 1.0]))))[0]
    same = CODEC.decode_image((target["heatmaps_1"], CODEC.ideal_tags(kp, vis, np.array([0.0, 0.0]))))[0]
    assert _oks(distinct, kp, vis, scene.areas).max(0).min() >= 0.95
    assert _oks(same, kp, vis, scene.areas).max(0).min() < 0.95
