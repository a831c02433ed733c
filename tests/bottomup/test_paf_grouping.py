"""OpenPose's grouping on fields drawn by hand: peaks, line integrals, assembly, removal."""
from __future__ import annotations

import numpy as np

from posekit.codecs.paf_grouping import assembly_order, find_peaks, group_people, score_limbs
from posekit.skeletons import OPENPOSE18


def gaussian(h, w, x, y, sigma=1.5):
    yy, xx = np.mgrid[0:h, 0:w]
    return np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma ** 2))


def limb_field(h, w, a, b, width=1.0):
    """The ideal PAF of one limb (Cao et al. 2017, Eq. 8): the unit vector a->b within ``width``."""
    yy, xx = np.mgrid[0:h, 0:w].astype(float)
    v = np.subtract(b, a, dtype=float)
    length = np.linalg.norm(v)
    u = v / length
    px, py = xx - a[0], yy - a[1]
    along = px * u[0] + py * u[1]
    across = np.abs(px * u[1] - py * u[0])
    on = (along >= 0) & (along <= length) & (across <= width)
    return np.stack([on * u[0], on * u[1]])


def test_peaks_are_refined_below_a_cell():
    for x, y in ((10.3, 7.6), (20.0, 15.0), (5.45, 20.8)):
        (pts,) = find_peaks(gaussian(30, 40, x, y)[None], 0.1)
        assert len(pts) == 1
        assert abs(pts[0, 0] - x) < 0.1 and abs(pts[0, 1] - y) < 0.1
        assert pts[0, 2] > 0.9


def test_peaks_below_the_threshold_and_plateaus():
    hm = 0.05 * gaussian(30, 40, 10, 10)[None]
    assert len(find_peaks(hm, 0.1)[0]) == 0
    flat = np.zeros((1, 10, 10))
    flat[0, 4:6, 4:6] = 0.5  # four equal maxima: one peak
    assert len(find_peaks(flat, 0.1)[0]) == 1


def test_line_integral_scores_aligned_limbs_only():
    h, w = 40, 60
    a, b = np.array([[10.0, 20.0, 1.0]]), np.array([[25.0, 20.0, 1.0]])
    fx, fy = limb_field(h, w, a[0, :2], b[0, :2])
    (row,) = score_limbs(a, b, fx, fy)
    # a unit field along a limb shorter than half the map's height: the mean is 1, no penalty
    assert row[:2].tolist() == [0, 0] and abs(row[2] - 1.0) < 1e-9
    assert len(score_limbs(b, a, fx, fy)) == 0  # the wrong direction scores -1
    assert len(score_limbs(a, np.array([[10.0, 35.0, 1.0]]), fx, fy)) == 0  # perpendicular: 0
    # a longer limb is penalised by min(0, 0.5 * H / length - 1): 0.5 * 40 / 30 - 1 = -1/3
    far = np.array([[40.0, 20.0, 1.0]])
    fx, fy = limb_field(h, w, a[0, :2], far[0, :2])
    (row,) = score_limbs(a, far, fx, fy)
    assert abs(row[2] - (1.0 - 1 / 3)) < 1e-9


def test_greedy_matching_uses_each_peak_once():
    h, w = 60, 60
    a = np.array([[10.0, 10, 1], [10.0, 40, 1]])
    b = np.array([[40.0, 10, 1], [40.0, 40, 1]])
    f = limb_field(h, w, a[0, :2], b[0, :2]) + limb_field(h, w, a[1, :2], b[1, :2])
    rows = score_limbs(a, b, f[0], f[1])
    assert sorted(map(tuple, rows[:, :2].astype(int).tolist())) == [(0, 0), (1, 1)]


def test_openpose_order_closes_the_shoulder_ear_links():
    from posekit.bottomup.openpose import OPENPOSE_ORDER

    order, closing = assembly_order(OPENPOSE18.limbs, 18, OPENPOSE_ORDER)
    names = {OPENPOSE18.names[a] + "-" + OPENPOSE18.names[b] for i, (a, b) in enumerate(OPENPOSE18.limbs) if i in closing}
    assert names == {"right_shoulder-right_ear", "left_shoulder-left_ear"}
    default, cyc = assembly_order(OPENPOSE18.limbs, 18)  # breadth-first from the neck
    assert sorted(default) == list(range(19)) and OPENPOSE18.limbs[default[0]][0] == OPENPOSE18.index("neck")
    assert len(cyc) == 2


def _draw(people, h, w, skeleton=OPENPOSE18):
    k = skeleton.num_keypoints
    heat = np.zeros((k, h, w))
    paf = np.zeros((2 * len(skeleton.limbs), h, w))
    for person in people:
        for j, p in enumerate(person):
            if p is not None:
                heat[j] = np.maximum(heat[j], gaussian(h, w, *p))
        for li, (a, b) in enumerate(skeleton.limbs):
            if person[a] is not None and person[b] is not None:
                f = limb_field(h, w, person[a], person[b])
                paf[2 * li:2 * li + 2] = np.where(np.abs(f) > 0, f, paf[2 * li:2 * li + 2])
    return heat, paf


def _person(cx, top, s=1.0):
    """An upright OpenPose-18 stick figure centred at cx."""
    rel = [(0, 0), (0, 8), (-6, 8), (-8, 18), (-9, 27), (6, 8), (8, 18), (9, 27), (-4, 28), (-4, 40), (-4, 52),
           (4, 28), (4, 40), (4, 52), (-2, -2), (2, -2), (-4, -1), (4, -1)]
    return [(cx + s * dx, top + s * dy) for dx, dy in rel]


def test_two_people_with_every_part_are_recovered():
    people = [_person(20, 5), _person(50, 8)]
    heat, paf = _draw(people, 70, 80)
    kps, scores, person_scores = group_people(heat, paf, OPENPOSE18.limbs)
    assert len(kps) == 2 and (scores > 0.9).all()
    order = np.argsort(kps[:, 0, 0])
    for got, want in zip(kps[order], people):
        assert np.abs(got - np.array(want)).max() < 0.2
    assert np.allclose(person_scores, scores.sum(axis=1))


def test_partial_people_merge_and_fragments_are_removed():
    person = _person(30, 5)
    legs_only = [None] * 18
    for j in (8, 9, 10):  # a right leg alone, far away: hip-knee-ankle (3 parts) is kept ...
        legs_only[j] = (person[j][0] + 35, person[j][1])
    lone = [None] * 18
    lone[0], lone[14] = (70.0, 5.0), (68.0, 3.0)  # ... a nose and an eye (2 parts) is not
    heat, paf = _draw([person, legs_only, lone], 70, 90)
    kps, scores, _ = group_people(heat, paf, OPENPOSE18.limbs, min_parts=3)
    counts = sorted((scores > 0).sum(axis=1).tolist())
    assert counts == [3, 18]
    # limbs assembled in an order that reaches the legs before the neck, then joins them: one person
    order = list(range(19))[::-1]
    kps, scores, _ = group_people(heat[:, :, :60], paf[:, :, :60], OPENPOSE18.limbs, order=order)
    assert sorted((scores > 0).sum(axis=1).tolist()) == [18]


def test_empty_maps_give_no_people():
    kps, scores, ps = group_people(np.zeros((18, 20, 20)), np.zeros((38, 20, 20)), OPENPOSE18.limbs)
    assert kps.shape == (0, 18, 2) and scores.shape == (0, 18) and ps.shape == (0,)
