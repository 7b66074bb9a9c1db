"""The network's depth composed with geometry MediaPipe learned from real photos.

The network (trained on procedural renders) is good at relief inside a person and at edges that follow the
mask, and unreliable on the layout of real scenes. MediaPipe's real-trained models give the layout:

* people stand in front of what surrounds them;
* a person's distance is about focal × 0.15 m / face width in pixels, so bigger faces are nearer and a
  group's front row comes before its back row; and a face seen on someone's chest is in front of that body;
* away from the people, lower in the frame is nearer (floors, tables and ground come towards the camera):
  the background is that ramp alone;
* what a person's lowest pixels rest on (a floor, a table that hides the legs) is a plane that comes nearer
  than the person below that contact;
* a face of at least `MIN_FACE_PX` gets its relief from the Face Mesh landmarks' z.

Everything is worked out as disparity (1 / distance) relative to the nearest face's person, then mapped to
nearness in [0, 1] as `depth.normalise_nearness` does.
"""

import numpy as np

from .fill import extend_into, normalised_blur

BODY_DEPTH_FACES = 2.0  # front of the chest to the back of the head (0.3 m), in face-box widths (0.15 m)
MAX_RELIEF = 0.5  # a person's relief in disparity never spans more than half of its level
BACKGROUND_FAR = 0.7  # the top of the background lies this share, in disparity, of its bottom (synthetic validation,
# 21 renders, seeds 5000+: person AbsRel 0.0386 at 0.5, 0.0381 at 0.7, 0.0376 at 0.9; flatter is better on
# synthetic walls, but 0.9 leaves the background layer a flat card: 0.7 keeps a visible slope)
BEHIND_PEOPLE = 0.95  # the background's nearest disparity over the farthest person's farthest part
FACELESS_RELIEF = 0.2  # the relief of a body whose face is not seen (a back, a profile), in disparity
MIN_FACE_PX = 80  # below this the landmarks' z is too coarse to add relief
EDGE_BAND = 0.01  # half the width of the soft edge blended by the mask, as a share of the long side
EDGE_CONTRAST = 4.0  # the soft mask steepened this much about 0.5 where it blends person and backdrop
SHOULDERS_PER_FACE = 1.4  # half the shoulders (0.2 m) in face widths (0.15 m), from the chin down
HEAD_PER_FACE = 0.8  # half the head with its hair, in face widths, above the chin
CHIN_PER_FACE = 0.6  # from the face's centre down to the chin, in face heights
HAIR_PER_FACE = 1.6  # from the face's centre up to the top of the hair or a hat, in face heights
CONTACT_BAND = 0.02  # a person's lowest rows, as a share of the photo's height, that say what it rests on
MIN_GROUND_SPAN = 0.1  # eye level to contact, as a share of the height: a shorter span makes too steep a plane
NEAREST_PART = 98  # the percentile of a person's disparity taken as its nearest part (not a stray pixel)
MAX_GROUND = 1.5  # the nearest ground, in disparity of the nearest face's person
SPREAD_TO_WIDTH = 2.9  # a face box's width over its landmarks' RMS spread in 3D (2.8-3.2 on single portraits)
HEAD_SEED = 0.75  # a face keeps the ellipse through its box's corners (0.71 of its size from the centre) and a little more
BODY_DROP = 0.25  # weight of vertical over horizontal distance, in face sizes, when no pixel is claimed
CHEST = ((1.2, 4.0), 0.8)  # a face this far below another's centre (rows, in its heights) and this near its
# midline (columns, in its widths) lies on that body's chest, not beside its shoulder where a face can peek over
CHEST_STEP = 1.1  # a face on another's chest is at least this much nearer (in disparity) than that body


def _percentiles(values, low=2.0, high=98.0):
    """Two percentiles of `values`, at least 1e-6 apart."""
    lo, hi = np.percentile(values, (low, high)) if values.size else (0.0, 0.0)
    return float(lo), float(max(hi, lo + 1e-6))


def ground_ramp(height, width):
    """0 at the top row, 1 at the bottom: "lower in the frame is nearer"."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    return np.broadcast_to(rows, (height, width))


def person_labels(person, faces, landmarks=None, nearness=None):
    """For each person pixel, the index of the face whose body it belongs to; -1 outside, len(faces) if none.

    A face claims its head (from the top of the hair to the chin) and, below the chin, the pixels within a
    shoulder's width of its centre. Each face keeps its own head, the ellipse `HEAD_SEED` about its centre,
    whatever else claims it, and above all its own skin: the hull of its Face Mesh landmarks (`landmarks`,
    a list parallel to `faces` of 468×3 arrays or None). Elsewhere, where two claim a pixel the nearer face
    wins, the nearer person covering the farther (`nearness`, parallel to `faces`; default the box widths).
    Pixels no face claims take the label of the nearest claimed pixel; with none claimed, of the nearest
    face measured in that face's own size, vertical distance counting a quarter.
    """
    height, width = person.shape
    labels = np.full((height, width), -1, np.int32)
    if len(faces) <= 1:
        labels[person] = 0
        return labels
    import cv2

    rows, columns = np.nonzero(person)
    nearness = [face.width for face in faces] if nearness is None else nearness
    order = np.argsort(-np.asarray(nearness, np.float64), kind="stable")  # nearest first
    centres = np.array([[faces[k].center_x, faces[k].center_y] for k in order], np.float32)
    sizes = np.array([[faces[k].width, faces[k].height] for k in order], np.float32)
    dx = (columns[None, :] - centres[:, :1]) / sizes[:, :1]
    dy = (rows[None, :] - centres[:, 1:]) / sizes[:, 1:]
    claims = (np.abs(dx) <= np.where(dy < CHIN_PER_FACE, HEAD_PER_FACE, SHOULDERS_PER_FACE)) & (dy >= -HAIR_PER_FACE)
    claimed = claims.any(axis=0)
    if not claimed.any():
        labels[rows, columns] = order[np.argmin(dx ** 2 + BODY_DROP * dy ** 2, axis=0)]
        return labels
    # A bigger neighbour's shoulder took the back row's heads, and with them their Face Mesh relief (the
    # seaside group's boy behind: Spearman 0.10 at his landmarks; 0.996 with his head his own).
    heads = dx ** 2 + dy ** 2 <= HEAD_SEED ** 2
    # A bigger neighbour's head seed, leant against a face, took that face's cheek and eye with its relief
    # (a woman among four before window blinds: Spearman 0.38 at her landmarks).
    skin = _landmark_hulls(person.shape, [landmarks[k] for k in order] if landmarks is not None else [],
                           rows, columns)
    if skin is not None:
        heads = np.where(skin.any(axis=0), skin, heads)
    owners = np.where(heads.any(axis=0), np.argmax(heads, axis=0), np.argmax(claims, axis=0))
    labels[rows[claimed], columns[claimed]] = order[owners[claimed]]
    # The rest (a held helmet, an arm out) takes the face of the nearest claimed pixel.
    free = np.ones((height, width), np.uint8)
    free[rows[claimed], columns[claimed]] = 0
    _, nearest = cv2.distanceTransformWithLabels(free, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    claimed_values = labels[free == 0]  # DIST_LABEL_PIXEL numbers the zero pixels 1, 2, ... in row order
    unclaimed = (rows[~claimed], columns[~claimed])
    labels[unclaimed] = claimed_values[nearest[unclaimed] - 1]
    return labels


def _landmark_hulls(shape, landmarks, rows, columns):
    """Faces × person pixels (`rows`, `columns`): inside each face's landmark hull; None without landmarks."""
    if not any(points is not None for points in landmarks):
        return None
    import cv2

    hulls = np.zeros((len(landmarks), rows.size), bool)
    for k, points in enumerate(landmarks):
        if points is None:
            continue
        canvas = np.zeros(shape, np.uint8)
        cv2.fillConvexPoly(canvas, cv2.convexHull(np.round(points[:, :2]).astype(np.int32)), 1)
        hulls[k] = canvas[rows, columns] > 0
    return hulls


def blend_face_relief(disparity, region, face, points, level, focal):
    """`disparity` with the Face Mesh relief of one face blended in over the landmarks, inside `region`.

    Worked in a box around the landmarks only: the rest of the photo is not touched.
    """
    import cv2

    from .face_landmarks import front_surface

    height, width = disparity.shape
    # Full weight to an eighth of a face past the mesh, none at 3/8: the step from the Face Mesh relief to the
    # network's under the chin then spreads wide enough not to tear the mesh at the jaw's corners.
    grow = max(1, round(face.width / 4))
    margin = 2 * grow + 2
    left, top = (max(0, int(points[:, i].min()) - margin) for i in (0, 1))
    right = min(width, int(points[:, 0].max()) + margin + 1)
    bottom = min(height, int(points[:, 1].max()) + margin + 1)
    if right - left < 4 or bottom - top < 4:
        return disparity
    box = (slice(top, bottom), slice(left, right))
    # z in pixels over the focal length is the relative change of distance, hence of disparity
    local = points - np.array([left, top, 0], np.float32)
    z, covered = front_surface((bottom - top, right - left), local)
    inside = region[box]
    covered &= inside
    if np.count_nonzero(covered) < 16:
        return disparity
    # Off the mesh (and in the eyes and mouth it leaves open) the network's slope down the cheeks, ears and
    # neck is kept, smoothed, with what the landmarks changed at the mesh's edge carried onto it. Carrying the
    # face's edge values instead flattened the head there (MakeHuman validation person AbsRel 0.0535 / 0.0536
    # that way, 0.0471 / 0.0513 this way); the raw slope kept the network's steps at the hair and jaw, which
    # tore the mesh (Grace Hopper under the chin: 1.14 % of quads flat, 2.55 % raw, 0.71 % smoothed).
    network = disparity[box]
    smooth = normalised_blur(network, inside, grow / 4)
    field = _fit_to(-z / focal * level, network, covered)
    change = extend_into(np.where(covered, field - smooth, 0.0).astype(np.float32), covered, grow)
    face_field = np.where(covered, field, smooth + change)
    outside = cv2.distanceTransform((~covered).astype(np.uint8), cv2.DIST_L2, 3)
    feather = np.where(inside, np.clip(1.5 - outside / grow, 0.0, 1.0), 0.0)
    result = disparity.copy()
    result[box] = feather * face_field + (1 - feather) * network
    return result


def _fit_to(field, target, region, max_gain=2.0):
    """`field` scaled and shifted onto `target` over `region` (least squares), the scale kept within a factor
    `max_gain` of 1: the landmarks' shape at the network's level and about their own, metric, size."""
    f, t = field[region].astype(np.float64), target[region].astype(np.float64)
    f_centred = f - f.mean()
    denominator = float(f_centred @ f_centred)
    gain = float(f_centred @ (t - t.mean())) / denominator if denominator > 0 else 1.0
    gain = float(np.clip(gain, 1.0 / max_gain, max_gain))
    return (gain * (field - f.mean()) + t.mean()).astype(np.float32)


def ground_before_people(disparity, labels, faces):
    """Per row, the disparity of what people stand or sit behind (a floor, a table), or None.

    A person whose lowest pixels rest on the background, not on the frame's edge or another person, touches
    something there: the floor under the feet, or the table that hides the legs. That surface is taken as a
    plane, whose disparity is linear in the row and zero at the horizon, here the person's eye level (the
    face's centre; the top of the body without a face): on the contact row as near as the person's nearest
    part, and nearer below it. A table before a person is nearer than its face (at the person's own depth
    there, the table top came out behind the head); for a floor under the feet it hardly matters. Above the
    contact it stays behind the person (`BEHIND_PEOPLE`).
    """
    height = labels.shape[0]
    rows = np.arange(height, dtype=np.float32)
    band = max(1, round(CONTACT_BAND * height))
    below = np.full_like(labels, -2)  # the frame's bottom edge: no contact
    below[:-1] = labels[1:]
    ground = np.zeros(height, np.float32)
    for k in range(len(faces) + 1):
        region = labels == k
        if not region.any():
            continue
        person_rows = np.nonzero(region.any(axis=1))[0]
        top, bottom = int(person_rows[0]), int(person_rows[-1])
        if bottom >= height - band:
            continue  # cut off by the frame: what it stands on is not in the photo
        lowest = region & (rows[:, None] >= bottom - band)
        on_background = np.count_nonzero(lowest & (below == -1))
        if on_background <= np.count_nonzero(lowest & (below >= 0) & (below != k)):
            continue  # its lowest pixels rest on another person, who hides what it stands on
        horizon = faces[k].center_y if k < len(faces) else float(top)
        if bottom - horizon < MIN_GROUND_SPAN * height:
            continue
        person_disparity = disparity[region]
        contact = max(float(np.median(disparity[lowest])), float(np.percentile(person_disparity[::7], NEAREST_PART)))
        plane = contact * (rows - horizon) / (bottom - horizon)
        behind = BEHIND_PEOPLE * float(person_disparity.min())
        ground = np.maximum(ground, np.where(rows > bottom, plane, np.minimum(plane, behind)))
    return np.minimum(ground, MAX_GROUND) if ground.any() else None


def on_chests(faces, sizes):
    """`sizes` (face widths for distance) raised so that a face seen on another's chest comes nearer than it.

    No one's face shows through the chest of someone in front of it, so a face there is in front of that body:
    a front row before the back row whose bodies it hides, a child before a parent. This holds where face
    sizes do not: on a squad photo, faces of 20-28 px, the back row's measured up to a quarter bigger.
    Faces are taken from the top of the frame down, so a chain of rows comes forward row by row.
    """
    sizes = list(sizes)
    (low, high), midline = CHEST
    for a in sorted(range(len(faces)), key=lambda k: faces[k].center_y):
        for b in range(len(faces)):
            rows = (faces[a].center_y - faces[b].center_y) / faces[b].height
            columns = abs(faces[a].center_x - faces[b].center_x) / faces[b].width
            if low <= rows <= high and columns <= midline:
                sizes[a] = max(sizes[a], CHEST_STEP * sizes[b])
    return sizes


def face_size(face, points=None):
    """A face's width in pixels, for its distance: from its Face Mesh landmarks when there are some (their
    spread in 3D, which neither a turn of the head nor the detector's search changes), else its box.

    The detector's boxes vary with the search that found them: on the seaside group's tiles they are 2.9 to
    4.0 times the landmarks' spread, so two girls side by side came out 102 and 151 px wide (landmarks: 35
    and 38); on single portraits the box is 2.8 to 3.2 times the spread.
    """
    if points is None:
        return float(face.width)
    spread = float(np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean()))
    return SPREAD_TO_WIDTH * spread


def compose_disparity(network_nearness, mask, faces, landmarks=None, focal=None):
    """Disparity (larger = nearer, up to scale) composed from the network's nearness and MediaPipe geometry.

    `network_nearness` float32 H×W in [0, 1] (the network's output at the photo's resolution, edges already
    on the mask), `mask` the soft person mask, `faces` segment.FaceBox list (may be empty), `landmarks` a
    list parallel to `faces` of 468×3 Face Mesh landmarks or None, `focal` in pixels (default: the lens
    the mesh takes for a photo without EXIF).
    """
    import cv2

    from .geometry import Intrinsics

    height, width = mask.shape
    focal = float(focal or Intrinsics.from_focal_35mm(width, height).focal_px)
    person = mask > 0.5
    # Away from people the network only adds error on real photos: Middlebury's motorcycle scores AbsRel 0.292
    # with the ramp alone, 0.294 with 15 % of the network's depth, 0.302 with 30 %, 0.385 with the network alone.
    layout = np.array(ground_ramp(height, width), np.float32)
    if not person.any():
        return layout

    # A face box off the mask is a poster, a screen or a false detection: it does not place a person.
    landmarks = list(landmarks) if landmarks is not None else [None] * len(faces)
    kept = [k for k, face in enumerate(faces)
            if person[min(height - 1, max(0, int(face.center_y))), min(width - 1, max(0, int(face.center_x)))]]
    faces, landmarks = [faces[k] for k in kept], [landmarks[k] for k in kept]
    sizes = on_chests(faces, [face_size(face, points) for face, points in zip(faces, landmarks)])
    labels = person_labels(person, faces, landmarks, sizes)
    widest = max(sizes, default=1.0)
    disparity = np.zeros((height, width), np.float32)
    for k in range(len(faces) + 1):
        region = labels == k
        if not region.any():
            continue
        if k < len(faces):  # disparity ∝ 1 / distance ∝ face size
            level = sizes[k] / widest
            relief = min(MAX_RELIEF, BODY_DEPTH_FACES * sizes[k] / focal)
        else:  # a body without a face: as far as the farthest face, a modest relief
            level = min(sizes, default=widest) / widest
            relief = FACELESS_RELIEF
        lo, hi = _percentiles(network_nearness[region][::7])  # a seventh of the pixels: the same to 1e-3
        disparity[region] = level * (1.0 - relief * (1.0 - (network_nearness[region] - lo) / (hi - lo)))
        face_points = landmarks[k] if k < len(faces) else None
        if face_points is not None and faces[k].width >= MIN_FACE_PX:
            disparity = blend_face_relief(disparity, region, faces[k], face_points, level, focal)

    farthest = float(disparity[person].min())
    nearest_background = BEHIND_PEOPLE * farthest
    backdrop = nearest_background * (BACKGROUND_FAR + (1 - BACKGROUND_FAR) * layout)
    ground = ground_before_people(disparity, labels, faces)
    if ground is not None:
        backdrop = np.maximum(backdrop, ground[:, None])
    # Each side extended a short way past the mask edge and blended there by the soft mask; away from the
    # edge a pixel is the person's or the backdrop's (as depth.sharpen_depth_edges does for the network).
    band = max(2, round(EDGE_BAND * max(height, width)))
    people = extend_into(disparity, person, 2.0 * band)
    share = cv2.blur(person.astype(np.float32), (2 * band + 1, 2 * band + 1))  # person share in a square
    edge = (share > 1e-4) & (share < 1 - 1e-4)
    alpha = np.where(edge, np.clip(EDGE_CONTRAST * (mask - 0.5) + 0.5, 0.0, 1.0), person.astype(np.float32))
    return (alpha * people + (1 - alpha) * backdrop).astype(np.float32)
