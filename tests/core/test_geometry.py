import numpy as np
import pytest

from portrait3d_blender.core import geometry


def _bumpy_depth(rows=96, columns=128):
    y, x = np.mgrid[0:rows, 0:columns] / np.array([rows, columns])[:, None, None]
    return (2.0 + 0.5 * np.sin(6 * x) * np.cos(4 * y)).astype(np.float32)


def test_intrinsics_from_35mm_focal():
    intrinsics = geometry.Intrinsics.from_focal_35mm(4000, 3000, 26.0)
    # A 26 mm-equivalent lens sees about 69° along the long side... of a 4:3 frame the diagonal is 5000 px.
    assert intrinsics.focal_px == pytest.approx(26.0 / geometry.FULL_FRAME_DIAGONAL_MM * 5000)
    assert geometry.Intrinsics.from_focal_35mm(400, 300).focal_px == pytest.approx(
        geometry.DEFAULT_FOCAL_35MM / geometry.FULL_FRAME_DIAGONAL_MM * 500
    )


@pytest.mark.parametrize("size, resolution, shape", [((600, 400), 512, (342, 513)), ((400, 600), 512, (513, 342))])
def test_grid_shape_keeps_square_quads(size, resolution, shape):
    assert geometry.grid_shape_for(*size, resolution) == shape


def test_every_vertex_reprojects_onto_its_uv_within_half_a_pixel():
    intrinsics = geometry.Intrinsics.from_focal_35mm(640, 480, 35.0)
    camera = np.array([0.1, -2.0, 0.3])
    mesh = geometry.build_grid_mesh(_bumpy_depth(), intrinsics, camera, quads_long_side=128)
    pixels = geometry.project_to_pixels(mesh.vertices, intrinsics, camera)
    uv_pixels = np.column_stack([mesh.uvs[:, 0] * 640, (1.0 - mesh.uvs[:, 1]) * 480])
    assert np.abs(pixels - uv_pixels).max() < 0.5
    # ...and the vertices really are displaced in depth, not a flat plane.
    distances = mesh.vertices[:, 1] - camera[1]
    assert distances.min() < 1.6 and distances.max() > 2.4


def test_vertex_depth_is_the_depth_map():
    intrinsics = geometry.Intrinsics.from_focal_35mm(128, 96)
    depth = _bumpy_depth()
    mesh = geometry.build_grid_mesh(depth, intrinsics, np.zeros(3), quads_long_side=128)
    # Vertex grid and depth map line up at pixel centres half a pixel in from each vertex; interior check.
    grid = mesh.vertices[:, 1].reshape(geometry.grid_shape_for(128, 96, 128))
    assert np.abs(grid[1:-1, 1:-1] - (depth[:-1, :-1] + depth[1:, 1:] + depth[:-1, 1:] + depth[1:, :-1])[:, :] / 4).max() < 1e-3


def test_quads_face_the_capture_camera():
    intrinsics = geometry.Intrinsics.from_focal_35mm(64, 48)
    mesh = geometry.build_grid_mesh(np.full((48, 64), 3.0, np.float32), intrinsics, np.zeros(3), 16)
    corners = mesh.vertices[mesh.quads]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    to_camera = -corners.mean(axis=1)
    assert np.all(np.einsum("ij,ij->i", normals, to_camera) > 0)
    assert mesh.quads.dtype == np.int32 and mesh.quads.max() == len(mesh.vertices) - 1


def test_depth_from_nearness():
    nearness = np.array([0.0, 0.5, 1.0])
    flat = geometry.depth_from_nearness(nearness, 2.0, depth_strength=0.0)
    np.testing.assert_allclose(flat, 2.0)
    natural = geometry.depth_from_nearness(nearness, 2.0, depth_strength=1.0)
    assert natural[2] == pytest.approx(2.0) and natural[0] == pytest.approx(6.0)
    assert natural[0] > natural[1] > natural[2]
    stronger = geometry.depth_from_nearness(nearness, 2.0, depth_strength=2.0)
    assert stronger[0] > natural[0]


def test_a_mesh_of_the_same_quads_at_another_depth_moves_only_its_vertices():
    """The topology cache behind a live depth slider: the second mesh of the same quads is what a fresh grid
    builds, it shares the first's read-only quads, edges and UVs, and other quads get a topology of their own."""
    intrinsics = geometry.Intrinsics.from_focal_35mm(128, 96)
    camera = np.array([0.0, -1.0, 0.2], np.float32)
    grid = geometry.VertexGrid(intrinsics, 64)
    keep = np.random.default_rng(3).random(grid.quad_shape) < 0.8
    near = grid.mesh(camera, grid.sample(_bumpy_depth()), keep)
    far = grid.mesh(camera, grid.sample(1.5 * _bumpy_depth()), keep)
    fresh_grid = geometry.VertexGrid(intrinsics, 64)
    fresh = fresh_grid.mesh(camera, fresh_grid.sample(1.5 * _bumpy_depth()), keep)
    for name in ("vertices", "quads", "uvs", "display_uvs", "material_indices", "edges", "corner_edges"):
        np.testing.assert_array_equal(getattr(far, name), getattr(fresh, name))
    assert far.quads is near.quads and far.edges is near.edges and not far.quads.flags.writeable
    assert not np.allclose(far.vertices, near.vertices)
    other = grid.mesh(camera, grid.sample(_bumpy_depth()), ~keep)
    assert len(other.quads) == np.count_nonzero(~keep) and other.quads is not near.quads
    with pytest.raises(ValueError):
        far.quads[0, 0] = 1  # shared: a caller cannot change another mesh's quads
