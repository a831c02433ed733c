"""Tag grouping (posekit.codecs.ae_grouping) against direct loops written from HigherHRNet's
lib/core/group.py (NMS by a pixel loop, ``match_by_tag`` with its dict of people, ``adjust``,
``refine``) and small cases worked by hand."""
import numpy as np
from scipy.optimize import linear_sum_assignment

from posekit.codecs.ae_grouping import group_by_tags, match_by_tag, quarter_offset, refine, top_k


def _loop_nms(heat: np.ndarray, kernel: int) -> np.ndarray:
    out = np.zeros_like(heat)
    r = kernel // 2
    n, h, w = heat.shape
    for k in range(n):
        for y in range(h):
            for x in range(w):
                window = heat[k, max(0, y - r):y + r + 1, max(0, x - r):x + r + 1]
                out[k, y, x] = heat[k, y, x] if heat[k, y, x] >= window.max() else 0.0
    return out


def _loop_match(positions, values, tags, order, max_people, threshold, tag_threshold):
    """HigherHRNet's match_by_tag: people in a dict keyed by their first tag value."""
    n, _, d = tags.shape
    people, person_tags = {}, {}
    for i, j in enumerate(order):
        joints = [np.concatenate([positions[j, c], [values[j, c]], tags[j, c]]) for c in range(values.shape[1])
                  if values[j, c] > threshold]
        if not joints:
            continue
        joints = np.array(joints)
        if i == 0 or not people:
            for joint in joints:
                people.setdefault(joint[3], np.zeros((n, 3 + d)))[j] = joint
                person_tags[joint[3]] = [joint[3:]]
            continue
        keys = list(people)[:max_people]
        means = np.array([np.mean(person_tags[key], axis=0) for key in keys])
        diff = np.linalg.norm(joints[:, None, 3:] - means[None], axis=2)
        cost = np.round(diff) * 100 - joints[:, 2:3]
        if len(joints) > len(keys):
            cost = np.concatenate([cost, np.full((len(joints), len(joints) - len(keys)), 1e10)], 1)
        for row, col in zip(*linear_sum_assignment(cost)):
            if row < len(joints) and col < len(keys) and diff[row, col] < tag_threshold:
                people[keys[col]][j] = joints[row]
                person_tags[keys[col]].append(joints[row, 3:])
            else:
                people.setdefault(joints[row, 3], np.zeros((n, 3 + d)))[j] = joints[row]
                person_tags[joints[row, 3]] = [joints[row, 3:]]
    return np.array(list(people.values()))


def test_top_k_keeps_the_local_maxima_of_a_direct_loop():
    rng = np.random.default_rng(0)
    heat = rng.random((3, 12, 14))
    tags = rng.normal(size=(3, 12, 14, 1))
    positions, values, tag = top_k(heat, tags, 6, 5)
    nms = _loop_nms(heat, 5)
    for k in range(3):
        expected = np.sort(nms[k].reshape(-1))[::-1][:6]
        assert np.allclose(values[k], expected)
        x, y = positions[k, :, 0], positions[k, :, 1]
        assert np.allclose(heat[k, y, x], values[k]) and np.allclose(tag[k, :, 0], tags[k, y, x, 0])


def test_matching_equals_higherhrnets_loop_on_random_candidates():
    rng = np.random.default_rng(1)
    for trial in range(20):
        n, m = 6, 8
        people = int(rng.integers(2, 7))
        truth = rng.permutation(people).astype(float) * 1.5                # distinct tags, 1.5 apart
        positions = rng.integers(0, 50, (n, m, 2))
        values = np.zeros((n, m))
        tags = rng.normal(0, 3, (n, m, 1))                                 # unmatched clutter
        for j in range(n):
            seen = rng.random(people) < 0.8
            values[j, :seen.sum()] = np.sort(rng.uniform(0.2, 1.0, seen.sum()))[::-1]
            tags[j, :seen.sum(), 0] = truth[seen] + rng.normal(0, 0.1, seen.sum())
            values[j, seen.sum():] = rng.uniform(0, 0.15, m - seen.sum())
        order = tuple(rng.permutation(n))
        ours = match_by_tag(positions, values, tags, order, 30, 0.1, 1.0, True)
        ref = _loop_match(positions, values, tags, order, 30, 0.1, 1.0)
        assert ours.shape == ref.shape
        assert np.allclose(ours, ref), trial


def test_a_far_tag_starts_a_new_person_and_weak_peaks_are_dropped():
    positions = np.array([[[1, 1], [9, 9], [5, 5]], [[2, 2], [8, 8], [4, 4]]])
    values = np.array([[0.9, 0.8, 0.05], [0.9, 0.7, 0.6]])
    tags = np.array([[[0.0], [3.0], [9.0]], [[0.2], [2.9], [6.0]]])
    people = match_by_tag(positions, values, tags, (0, 1), 30, 0.1, 1.0, True)
    # joint 0: two people (the 0.05 peak is below the threshold); joint 1: both match, the tag 6 starts a third
    assert len(people) == 3
    assert np.allclose(people[0, :, 3], [0.0, 0.2]) and np.allclose(people[1, :, 3], [3.0, 2.9])
    assert np.allclose(people[2, 1], [4, 4, 0.6, 6.0]) and not people[2, 0].any()


def test_quarter_offset_moves_towards_the_higher_neighbour():
    heat = np.zeros((1, 5, 5))
    heat[0, 2, 2], heat[0, 2, 3], heat[0, 1, 2] = 1.0, 0.5, 0.3          # right higher, up higher
    out = quarter_offset(heat, np.array([0]), np.array([2]), np.array([2]))
    assert np.allclose(out, [[2.25, 1.75]])


def test_refine_finds_a_missing_joint_by_the_persons_tag():
    heat = np.zeros((2, 8, 8))
    tags = np.zeros((2, 8, 8, 1))
    heat[0, 2, 2], tags[0, 2, 2] = 1.0, 4.0                               # the person's found joint, tag 4
    heat[1, 6, 5], tags[1, 6, 5] = 0.3, 4.1                               # its weak second joint
    heat[1, 1, 1], tags[1, 1, 1] = 0.9, 0.0                               # someone else's, stronger
    person = np.zeros((2, 4))
    person[0] = [2, 2, 1.0, 4.0]
    out = refine(heat, tags, person, np.array([[2, 2], [0, 0]]))
    assert np.allclose(out[1, :3], [4.75, 5.75, 0.3])                    # (5, 6) moved a quarter to the lower sides


def test_group_by_tags_returns_people_best_first_in_grid_cells():
    heat = np.zeros((2, 20, 20))
    tags = np.zeros((2, 20, 20))
    yy, xx = np.mgrid[:20, :20]
    for (x, y), t, amp in [((4, 5), 1.0, 0.6), ((14, 12), 3.0, 1.0)]:
        for k in range(2):
            g = amp * np.exp(-((xx - x - k) ** 2 + (yy - y) ** 2) / 2)
            heat[k] = np.maximum(heat[k], g)
            tags[k][g > 0.01] = t
    kp, scores, person = group_by_tags(heat, tags)
    assert len(kp) == 2 and person[0] > person[1]
    assert np.allclose(kp[0], [[13.75, 11.75], [14.75, 11.75]])            # ties in adjust go the lower way
    assert np.allclose(scores[0], 1.0) and np.allclose(person, [1.0, 0.6])
