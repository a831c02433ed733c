"""SPM's codec round trip (posekit.codecs.spm): ground-truth root maps and hierarchical displacements of
synthetic crowds (3-15 people, crossing limbs, occlusion) decode, down the skeleton tree, to every person
with >= 5 labelled keypoints at OKS >= 0.95; at the codec level and through the dataset and the model.

Left out and counted, as the representation loses them by construction: a person whose root lies within
4 cells of another's (one root peak suppresses the other); a person with a labelled joint whose parent in
the tree is unlabelled (the chain to it is broken); a person one of whose parent joints has another
person's same joint nearer to the cell it rounds to (that cell's displacements, read for the children, are
the other person's): crossing limbs put same joints a few pixels apart.
"""
import numpy as np
from test_dekr_round_trip import TargetsNetwork, crossings, crowds, oks, scene_instances

from posekit.codecs.spm import SPMCodec, root_positions, skeleton_tree, torso_joints
from posekit.skeletons import COCO17, MPII16

CODEC = SPMCodec((512, 384), 17, COCO17.limbs, torso_joints(COCO17.names, COCO17.limbs))


def test_the_coco_tree_runs_from_the_torso_down_the_limbs():
    torso = torso_joints(COCO17.names, COCO17.limbs)
    parent, order = skeleton_tree(17, COCO17.limbs, torso)
    name = dict(enumerate(COCO17.names))
    assert {name[j] for j in torso} == {"left_shoulder", "right_shoulder", "left_hip", "right_hip"}
    got = {name[j]: ("root" if parent[j] < 0 else name[parent[j]]) for j in range(17)}
    assert got["left_wrist"] == "left_elbow" and got["left_elbow"] == "left_shoulder"
    assert got["right_ankle"] == "right_knee" and got["right_knee"] == "right_hip"
    assert got["left_ear"] == "left_shoulder" and got["nose"] in ("left_eye", "right_eye")
    assert all(order.index(parent[j]) < order.index(j) for j in range(17) if parent[j] >= 0)
    # a skeleton without shoulder/hip names: the limb graph's centre
    mpii_torso = torso_joints(MPII16.names, MPII16.limbs)
    assert {MPII16.names[j] for j in mpii_torso} == {"right_hip", "left_hip", "right_shoulder", "left_shoulder"}
    chain = ("a", "b", "c", "d", "e")
    assert torso_joints(chain, ((0, 1), (1, 2), (2, 3), (3, 4))) == (2,)


def _unresolvable(codec, kp, vis, to_cells) -> np.ndarray:
    labelled = vis > 0
    cells = to_cells(kp)
    parent, _ = codec.tree
    roots, _ = root_positions(cells, labelled, codec.torso)
    d = np.linalg.norm(roots[:, None] - roots[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    bad = d.min(1) < 4.0 if len(kp) > 1 else np.zeros(len(kp), bool)
    has_parent = parent >= 0
    bad |= (labelled[:, has_parent] & ~labelled[:, parent[has_parent]]).any(1)
    for j in set(parent[has_parent].tolist()):        # the cell read for j's children is nearer another's j
        read = np.round(cells[:, j])                                          # (P, 2)
        own = np.linalg.norm(cells[:, j] - read, axis=-1)                     # (P,)
        other = np.linalg.norm(cells[None, :, j] - read[:, None], axis=-1)   # (P reading, P other)
        covers = np.abs(np.round(cells[None, :, j]) - read[:, None]).max(-1) <= codec.radius
        both = labelled[:, None, j] & labelled[None, :, j]
        np.fill_diagonal(both, False)
        bad |= (both & covers & (other < own[:, None])).any(1)
    return bad


def _check(found, person, kp, vis, areas, bad):
    assert np.all(np.diff(person) <= 0)
    people = ((vis > 0).sum(1) >= 5) & ~bad
    if people.any():
        o = oks(found, kp[people], vis[people], areas[people]) if len(found) else np.zeros((1, people.sum()))
        assert np.all(o.max(0) >= 0.95), (o.max(0), areas[people])
    return int(people.sum()), int(((vis > 0).sum(1) >= 5)[bad].sum())


def test_ground_truth_fields_of_crowds_decode_to_the_same_people():
    checked = excluded = crossed = 0
    for scene in crowds(30):
        kp, vis = scene.keypoints, scene.visibility
        crossed += crossings(kp, vis)
        t = CODEC.encode_image(kp, vis)
        found, _, person = CODEC.decode_image((t["root"], t["displacements"]))
        c, e = _check(found, person, kp, vis, scene.areas, _unresolvable(CODEC, kp, vis, CODEC.to_cells))
        checked, excluded = checked + c, excluded + e
    # measured: 265 people checked, 2 left out by construction, 1467 limb crossings
    assert checked >= 150 and crossed >= 100
    assert excluded <= 0.05 * (checked + excluded)


def test_round_trip_through_the_dataset_and_the_model():
    from posekit.bottomup.dataset import BottomUpDataset
    from posekit.bottomup.inference import predict_images
    from posekit.zoo import build_model

    model = build_model("spm-small-160x160", input_size=(384, 288))           # images resized by 3/4
    scenes = list(crowds(6, seed=12))
    instances, _ = scene_instances(scenes)
    data = BottomUpDataset(instances, model.codec, model.skeleton)
    model.network = TargetsNetwork([data[i] for i in range(len(data))], ("root", "displacements"))
    checked = excluded = 0
    for inst, s, (found, _, person) in zip(instances, scenes, predict_images(model, instances)):
        kp, vis = inst.keypoints, inst.visible
        areas = s.areas[(s.visibility > 0).any(1)]
        bad = _unresolvable(model.codec, kp, vis, lambda p: model.codec.to_cells(0.75 * p))
        c, e = _check(found, person, kp, vis, areas, bad)
        checked, excluded = checked + c, excluded + e
    # measured: 57 people checked, 2 left out
    assert checked >= 30 and excluded <= 0.1 * (checked + excluded)
